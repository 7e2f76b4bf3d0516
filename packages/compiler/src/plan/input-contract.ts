// What a graph demands of its inputs beyond their declared types, found in the graph itself: a
// symbol that sizes a slice of a tensor of known length (the positional table) may not exceed that
// length, and an input that a gather reads directly as indices must hold values in [0, rows) of
// its table. Plain data: the kernel plan carries it, AOT manifests copy it, and every backend checks
// inputs against it with one function (packages/backends/src/input-check.ts) before running.

import { type DType, type Dim, type Graph, type Node, dimAdd, dimSub, dimSymbols, isSymbol, normAxis } from '@smelt/ir';

export interface InputSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** `symbol` ≤ `max`: the graph slices `symbol` entries out of a tensor of shape `of` (known along the axis). */
export interface SymbolBound {
  readonly symbol: string;
  readonly max: number;
  readonly of: readonly Dim[];
}

/** Every value of input `input` indexes `rows` entries (a number or a symbol) of a table of shape `of`. */
export interface IndexBound {
  readonly input: string;
  readonly rows: Dim;
  readonly of: readonly Dim[];
}

export interface InputContract {
  /** In declaration order: name, dtype and shape (symbols bind across inputs). */
  readonly inputs: readonly InputSpec[];
  /** At most one per symbol: the tightest. */
  readonly symbolBounds: readonly SymbolBound[];
  /** At most one per input with a known row count (the tightest), plus any with symbolic rows. */
  readonly indexBounds: readonly IndexBound[];
  /** Symbols that may be 0 (a decoding cache's length); every other one must be at least 1. */
  readonly mayBeEmpty: readonly string[];
}

/**
 * A slice ending at `s + c` (one symbol plus a constant: `[0, tgtLen)`, or `[past, past + 1)` of a
 * decoding step) in an axis of known length bounds that symbol: s ≤ length - c.
 */
function sliceBound(n: Node<'slice'>): SymbolBound | undefined {
  const of = n.inputs[0].type.shape;
  const length = of[normAxis(n.attrs.axis, of.length)];
  const end = dimAdd(n.attrs.start, n.attrs.size);
  const symbols = dimSymbols(end);
  if (typeof length !== 'number' || symbols.length !== 1) return undefined;
  const rest = dimSub(end, symbols[0]);
  return typeof rest === 'number' ? { symbol: symbols[0], max: length - rest, of } : undefined;
}

/**
 * Symbols that may be 0: the length of a cache that a concat grows by a known positive size (the
 * past of a decoding step, which is empty before the first token). Every other symbol must be at
 * least 1 (attention and softmax over zero keys have no defined result).
 */
function growableSymbols(g: Graph): string[] {
  const out = new Set<string>();
  for (const n of g.nodes) {
    if (n.op !== 'concat') continue;
    const axis = normAxis((n as Node<'concat'>).attrs.axis, n.outputs[0].type.shape.length);
    const dims = n.inputs.map((v) => v.type.shape[axis]);
    dims.forEach((d, i) => {
      const others = dims.filter((_, j) => j !== i).reduce<Dim>((s, x) => dimAdd(s, x), 0);
      if (isSymbol(d) && typeof others === 'number' && others > 0) out.add(d);
    });
  }
  return [...out].sort();
}

function gatherBound(n: Node<'gather'>): IndexBound | undefined {
  const [table, indices] = n.inputs;
  if (indices.def.kind !== 'input') return undefined;
  return { input: indices.def.name, rows: table.type.shape[normAxis(n.attrs.axis, table.type.shape.length)], of: table.type.shape };
}

/** Keep the tighter of two bounds on the same thing (the first on a tie, so the result is deterministic). */
function tightest<T>(list: T[], b: T, same: (a: T) => boolean, size: (a: T) => number | undefined): void {
  const i = list.findIndex(same);
  if (i < 0) list.push(b);
  else if ((size(b) ?? Infinity) < (size(list[i]) ?? Infinity)) list[i] = b;
}

/** Bounds on one input with known row counts compete; each symbolic row count stands alone. */
const indexKey = (b: IndexBound) => JSON.stringify([b.input, typeof b.rows === 'number' ? 0 : b.rows]);

export function inputContract(g: Graph): InputContract {
  const symbolBounds: SymbolBound[] = [];
  const indexBounds: IndexBound[] = [];
  for (const n of g.nodes) {
    const s = n.op === 'slice' ? sliceBound(n as Node<'slice'>) : undefined;
    if (s) tightest(symbolBounds, s, (a) => a.symbol === s.symbol, (a) => a.max);
    const x = n.op === 'gather' ? gatherBound(n as Node<'gather'>) : undefined;
    if (x) tightest(indexBounds, x, (a) => indexKey(a) === indexKey(x), (a) => (typeof a.rows === 'number' ? a.rows : undefined));
  }
  const inputs = g.inputs.map((v) => ({ name: v.name!, dtype: v.type.dtype, shape: v.type.shape }));
  return { inputs, symbolBounds, indexBounds, mayBeEmpty: growableSymbols(g) };
}
