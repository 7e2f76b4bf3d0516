// Shapes with symbolic dims: a dim is a known size (integer), a named symbol ("batch") or an
// expression over symbols ("past + 1", dim-expr.ts) in canonical text. Rules keep symbols: equal
// dims unify, 1 broadcasts, two different sizes are an error.

import { type Dim, canonicalDim, dimProductOf, evalDim, isSymbolName, solveDim } from './dim-expr.ts';

export * from './dim-expr.ts';
export type Shape = readonly Dim[];

export interface TensorType {
  readonly dtype: import('./dtype.ts').DType;
  readonly shape: Shape;
}

/** Throw unless d is a non-negative integer, a symbol, or a computed dim in canonical form. */
export function checkDim(d: Dim, what: string): void {
  let canonical: Dim;
  try {
    canonical = canonicalDim(d);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  if (canonical !== d) {
    throw new Error(`${what}: dim ${JSON.stringify(d)} is not in canonical form (write ${JSON.stringify(canonical)})`);
  }
}

export function formatDims(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatDims(t.shape)}`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function typesEqual(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

/** Broadcast two dims; undefined when they cannot meet. */
export function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  return undefined;
}

/** Numpy-style broadcast of several shapes; throws with both shapes named on a mismatch. */
export function broadcastShapes(shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = broadcastDim(out[j], s[i]);
      if (d === undefined) {
        throw new Error(`cannot broadcast ${formatDims(shapes[0])} with ${formatDims(s)}: dim ${out[j]} vs ${s[i]}`);
      }
      out[j] = d;
    }
  }
  return out;
}

/** Normalize a possibly negative axis against a rank, or throw naming both. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** True when two shapes hold the same number of elements for every value of their symbols. */
export function sameElementCount(a: Shape, b: Shape): boolean {
  return dimProductOf(a) === dimProductOf(b);
}

/** Symbol values known at run time. */
export type SymbolEnv = ReadonlyMap<string, number>;

export function resolveDim(d: Dim, env: SymbolEnv): number {
  return typeof d === 'number' ? d : evalDim(d, (s) => env.get(s));
}

export function resolveShape(shape: Shape, env: SymbolEnv): number[] {
  return shape.map((d) => resolveDim(d, env));
}

/**
 * Bind the symbols of a declared shape to an actual shape; throws naming the tensor. Plain symbols
 * bind first; a computed dim (`past + 1`) is then checked, or solved for its one unknown symbol.
 */
export function bindShape(name: string, declared: Shape, actual: readonly number[], env: Map<string, number>): void {
  const fail = (why: string) => {
    throw new Error(`input "${name}": expected shape ${formatDims(declared)}, got ${formatDims(actual)}${why}`);
  };
  if (declared.length !== actual.length) fail('');
  const computed: number[] = [];
  declared.forEach((d, i) => {
    const got = actual[i];
    if (typeof d === 'number') {
      if (d !== got) fail('');
    } else if (!isSymbolName(d)) {
      computed.push(i);
    } else {
      const prev = env.get(d);
      if (prev === undefined) env.set(d, got);
      else if (prev !== got) fail(` (${d} is already ${prev})`);
    }
  });
  for (const i of computed) {
    const d = declared[i] as string;
    const lookup = (s: string) => env.get(s);
    try {
      const solved = solveDim(d, actual[i], lookup);
      if (solved) env.set(solved[0], solved[1]);
    } catch (e) {
      fail(` (${(e as Error).message})`);
    }
    let v: number | undefined;
    try {
      v = evalDim(d, lookup);
    } catch {
      fail(` (${d} cannot be worked out from the other dims)`);
    }
    if (v !== actual[i]) fail(` (${d} is ${v})`);
  }
}
