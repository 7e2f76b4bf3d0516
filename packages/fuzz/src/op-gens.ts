// The per-op generator table: one entry per op kind of the op table (a mapped type, so a new op kind
// without a generator fails tsc here; `skip` with a reason is allowed). A generator picks operands
// from the pool (context.ts) whose facts suit the op, proposes attributes, and emits; the op's own
// shape rule refuses what does not fit. Elementwise record ops get their generator from their record
// (arity and dtype rule) and their facts from expr-facts.ts, so a new record op needs nothing here.

import { type DType, type Dim, EXPR_OPS, NODE_EXPR_KINDS, type NodeExprKind, type OpKind, dimMul, evalDim, isSymbol } from '@smelt/ir';
import type { GenContext, Item } from './context.ts';
import { MAX_SYMBOL } from './context.ts';
import { EXACT_INT, type Facts, carried, compatible, inexact, stable, summable } from './facts.ts';
import { exprFacts } from './expr-facts.ts';
import { makeTensor } from './values.ts';

/** Adds one op (or a small pattern) to the graph; false when nothing fitting was found. */
export type OpGen = (g: GenContext) => boolean;
export type OpGenEntry = OpGen | { readonly skip: string };

const FLOAT: readonly DType[] = ['f32'];
const numeric = (d: DType) => d === 'f32' || d === 'i32';
/** Largest value a dim takes at run time (symbols up to MAX_SYMBOL). */
export const dimMax = (d: Dim): number => evalDim(d, () => MAX_SYMBOL);
const count = (dims: readonly Dim[]): number => dims.reduce<number>((p, d) => p * dimMax(d), 1);
const isFloat = (it: Item) => it.v.dtype === 'f32';
const hasSpecial = (items: readonly Item[]) => items.some((it) => it.facts.special);

/** Dtypes a record op takes for all operands alike (f32, i32, bool, u8). */
function recordDTypes(kind: NodeExprKind): DType[] {
  const { arity, dtype } = EXPR_OPS[kind];
  return (['f32', 'i32', 'bool', 'u8'] as const).filter((d) => typeof dtype(Array(arity).fill(d)) === 'string');
}

function recordGen(kind: NodeExprKind): OpGen {
  const rule = exprFacts(kind);
  const { arity } = EXPR_OPS[kind];
  const dtypes = recordDTypes(kind);
  return (g) => {
    if (kind === 'where') return whereGen(g);
    if (dtypes.length === 0) return false;
    const dtype = g.rng.pick(dtypes);
    const float = dtype === 'f32';
    const first = g.operand([dtype], (it) => !float || arity > 1 || rule.needs([it.facts]));
    const ops = [first];
    for (let i = 1; i < arity; i++) {
      const shape = g.broadcastPartner(first.v.shape);
      // WGSL lets the shader compiler assume finite math (x - x = 0 even for inf): where NaN or ±inf
      // may occur, operands share no source, so no rewrite (CSE) makes them one value (docs/FUZZING.md).
      const ok = (it: Item) => !float || (rule.needs([...ops.map((o) => o.facts), it.facts]) && (!hasSpecial([...ops, it]) || g.disjoint([...ops, it])));
      ops.push(g.rng.chance(0.5) ? g.pick((it) => it.v.dtype === dtype && ok(it)) ?? g.operand([dtype], ok, shape) : g.operand([dtype], ok, shape));
    }
    const facts = ops.map((o) => o.facts);
    if (float && (!rule.needs(facts) || (hasSpecial(ops) && !g.disjoint(ops)))) return false;
    const gives = float ? rule.gives(facts) : carried(facts, Infinity);
    return g.emit(kind, ops, {}, dtype === 'f32' || numeric(dtype) ? gives : { ...gives, mag: 1 }) !== undefined;
  };
}

function whereGen(g: GenContext): boolean {
  const x = g.operand(['f32', 'i32']);
  const c = g.operand(['bool'], () => true, g.broadcastPartner(x.v.shape));
  const y = g.operand([x.v.dtype], () => true, g.broadcastPartner(x.v.shape));
  return g.emit('where', [c, x, y], {}, carried([x.facts, y.facts])) !== undefined;
}

const RECORD_GENS = Object.fromEntries(NODE_EXPR_KINDS.map((k) => [k, recordGen(k)])) as { readonly [K in NodeExprKind]: OpGen };

/** Distinct axes of a rank-r value, 1..r of them. */
function someAxes(g: GenContext, rank: number): number[] {
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => g.rng.chance(0.5));
  return axes.length ? axes : [g.rng.int(0, rank - 1)];
}

function reduceGen(op: 'reduce_sum' | 'reduce_mean' | 'reduce_max' | 'reduce_min'): OpGen {
  return (g) => {
    const dtypes: DType[] = op === 'reduce_mean' ? ['f32'] : ['f32', 'i32'];
    const x = g.operand(dtypes, (it) => it.v.rank > 0 && (!isFloat(it) || op === 'reduce_max' || op === 'reduce_min' || summable(it.facts)));
    if (x.v.rank === 0) return false;
    const axes = someAxes(g, x.v.rank);
    const n = count(axes.map((a) => x.v.shape[a]));
    const facts: Facts = op === 'reduce_max' || op === 'reduce_min' || !isFloat(x) ? carried([x.facts]) : inexact([x.facts], op === 'reduce_sum' ? x.facts.mag * n : x.facts.mag);
    return g.emit(op, [x], { axes: axes.map((a) => (g.rng.chance(0.3) ? a - x.v.rank : a)), keepdims: g.rng.chance(0.5) }, facts) !== undefined;
  };
}

/** A shape with the same element count: merge two neighbours, split a fixed dim, or add/drop 1s. */
function reshapeTarget(g: GenContext, shape: readonly Dim[]): Dim[] {
  const s = [...shape];
  const how = g.rng.int(0, 3);
  if (how === 0 && s.length >= 2) {
    const i = g.rng.int(0, s.length - 2);
    s.splice(i, 2, dimMul(s[i], s[i + 1]));
  } else if (how === 1) {
    const i = s.findIndex((d) => typeof d === 'number' && d % 2 === 0);
    if (i >= 0) s.splice(i, 1, 2, (s[i] as number) / 2);
  } else if (how === 2 && s.length < 4) {
    s.splice(g.rng.int(0, s.length), 0, 1);
  } else {
    const i = s.indexOf(1);
    if (i >= 0) s.splice(i, 1);
  }
  return s;
}

/** A slice of one axis that stays in range for every symbol value (≥ 1). */
function sliceOf(g: GenContext, d: Dim): [Dim, Dim] {
  if (typeof d === 'number') {
    const start = g.rng.int(0, d - 1);
    return [start, g.rng.int(1, d - start)];
  }
  const sym = d.match(/[a-z]+/)![0];
  if (d !== sym) return g.rng.pick<[Dim, Dim]>([[1, sym], [0, sym], [sym, 1]]); // `n + 1`
  return g.rng.pick<[Dim, Dim]>([[0, sym], [`${sym} - 1`, 1], [0, 1]]);
}

function concatGen(g: GenContext): boolean {
  const x = g.operand(['f32', 'i32', 'bool'], (it) => it.v.rank > 0);
  if (x.v.rank === 0) return false;
  const axis = g.rng.int(0, x.v.rank - 1);
  const shape = [...x.v.shape];
  shape[axis] = g.rng.chance(0.5) ? 1 : g.dim();
  const y = g.rng.chance(0.3) ? x : g.operand([x.v.dtype], () => true, shape);
  return g.emit('concat', [x, y], { axis: g.rng.chance(0.3) ? axis - x.v.rank : axis }, carried([x.facts, y.facts])) !== undefined;
}

function splitGen(g: GenContext): boolean {
  const x = g.operand(['f32', 'i32'], (it) => it.v.rank > 0);
  const axes = x.v.shape.map((d, i) => [d, i] as const).filter(([d]) => (typeof d === 'number' ? d >= 2 : d.includes('+ 1')));
  if (axes.length === 0) return false;
  const [d, axis] = g.rng.pick(axes);
  let sizes: Dim[];
  if (typeof d === 'number') {
    const first = g.rng.int(1, d - 1);
    sizes = g.rng.chance(0.5) || d - first < 2 ? [first, d - first] : [first, 1, d - first - 1];
  } else sizes = [d.replace(' + 1', ''), 1];
  return g.emit('split', [x], { axis, sizes }, carried([x.facts])) !== undefined;
}

function gatherGen(g: GenContext): boolean {
  const table = g.pick((it) => it.v.rank > 0 && it.v.rank <= 3 && it.v.shape.some((d) => typeof d === 'number' && d > 1))
    ?? g.declare('f32', [g.rng.int(2, 9), g.rng.int(1, 6)], undefined, g.rng.chance(0.5));
  const axes = table.v.shape.map((d, i) => [d, i] as const).filter(([d]) => typeof d === 'number');
  if (axes.length === 0) return false;
  const [rows, axis] = g.rng.pick(axes) as readonly [number, number];
  const ids = g.declare(g.rng.pick(['i32', 'i32', 'i64'] as const), g.shape(g.rng.int(0, 2)), { index: rows });
  return g.emit('gather', [table, ids], { axis }, carried([table.facts])) !== undefined;
}

function castGen(g: GenContext): boolean {
  const x = g.operand(['f32', 'i32', 'bool', 'f16', 'u8', 'i64']);
  const to = g.rng.pick<DType>(['f32', 'i32', 'bool', 'f16', 'u8', 'i64']);
  if (to === x.v.dtype) return false;
  // A float rounded to an integer or to f16 jumps on a rounding difference: exact floats only.
  if ((x.v.dtype === 'f32' || x.v.dtype === 'f16') && to !== 'f32' && !stable(x.facts)) return false;
  const facts = to === 'f32' ? carried([x.facts]) : { ...carried([x.facts]), special: false, exact: x.facts.exact };
  return g.emit('cast', [x], { to }, to === 'f16' ? carried([x.facts], Infinity) : facts) !== undefined;
}

function constantGen(g: GenContext): boolean {
  const shape = g.shape(g.rng.int(0, 2)).map((d) => (typeof d === 'number' ? d : 3));
  const dtype = g.rng.pick<DType>(['f32', 'f32', 'i32', 'bool']);
  const profile = dtype === 'f32' ? g.rng.pick(['edge', 'plain', 'nonfinite'] as const) : dtype === 'i32' ? 'ints' : 'bools';
  const value = makeTensor(dtype, shape as number[], profile, g.rng.fork());
  // A scalar constant becomes a literal in fused kernels, and WGSL may fold x * 0 to 0 for x = inf.
  if (shape.length === 0 && dtype === 'f32' && (value.data as Float32Array)[0] === 0) (value.data as Float32Array)[0] = 0.5;
  const facts: Facts = profile === 'edge' ? { mag: Infinity, special: true, exact: true } : profile === 'nonfinite' ? { mag: 3, special: true, exact: true } : { mag: 9, special: false, exact: true };
  return g.emit('constant', [], { value }, facts) !== undefined;
}

function matmulGen(g: GenContext): boolean {
  const a = g.operand(FLOAT, (it) => it.v.rank >= 2 && summable(it.facts));
  if (a.v.rank < 2) return false;
  const transA = g.rng.chance(0.2), transB = g.rng.chance(0.4);
  const k = a.v.shape[a.v.rank - (transA ? 2 : 1)];
  const n = g.rng.chance(0.2) ? g.dim() : g.rng.int(1, 9);
  const batch = g.rng.chance(0.5) ? [] : g.broadcastPartner(a.v.shape.slice(0, -2));
  const shape = [...batch, ...(transB ? [n, k] : [k, n])];
  const weight = batch.length === 0 && !shape.some(isSymbol) && g.rng.chance(0.6);
  const b = weight ? g.declare('f32', shape, 'plain', true) : g.operand(FLOAT, (it) => summable(it.facts), shape);
  return g.emit('matmul', [a, b], { transA, transB }, inexact([a.facts, b.facts], dimMax(k) * a.facts.mag * b.facts.mag)) !== undefined;
}

function softmaxOperand(g: GenContext): Item {
  return g.operand(FLOAT, (it) => it.v.rank > 0 && (it.facts.exact || summable(it.facts)));
}

/** LayerNorm's weight and (the bias is optional) bias: [width] parameters. */
function normParams(g: GenContext, width: Dim): Item[] {
  const weight = g.declare('f32', [width], 'plain', true);
  return g.rng.chance(0.7) ? [weight, g.declare('f32', [width], 'plain', true)] : [weight];
}

/** A norm's input: exact and summable, or computed and small (a near-constant row divides by √eps). */
function normOperand(g: GenContext): Item {
  return g.operand(FLOAT, (it) => it.v.rank > 0 && (it.facts.exact ? summable(it.facts) : it.facts.mag <= 10 && !it.facts.special));
}

const normFacts = (x: Facts, width: Dim): Facts => inexact([x], 2 * Math.sqrt(dimMax(width)) + 2);

/** Scales that are powers of two keep x * scale exact, so masks and scores stay comparable. */
const SCALES = [0.125, 0.25, 0.5, 1, 2];

export const OP_GENS: { readonly [K in OpKind]: OpGenEntry } = {
  ...RECORD_GENS,
  gelu: (g) => {
    const x = g.operand(FLOAT, (it) => compatible([it.facts]));
    return g.emit('gelu', [x], { approximate: g.rng.pick(['none', 'tanh'] as const) }, inexact([x.facts], x.facts.mag)) !== undefined;
  },
  cast: castGen,
  reduce_sum: reduceGen('reduce_sum'),
  reduce_mean: reduceGen('reduce_mean'),
  reduce_max: reduceGen('reduce_max'),
  reduce_min: reduceGen('reduce_min'),
  cumsum: (g) => {
    const x = g.operand(['f32', 'i32'], (it) => it.v.rank > 0 && (!isFloat(it) || summable(it.facts)));
    if (x.v.rank === 0) return false;
    const axis = g.rng.int(0, x.v.rank - 1);
    const facts = isFloat(x) ? inexact([x.facts], x.facts.mag * dimMax(x.v.shape[axis])) : carried([x.facts]);
    return g.emit('cumsum', [x], { axis, exclusive: g.rng.chance(0.3), reverse: g.rng.chance(0.3) }, facts) !== undefined;
  },
  pad: (g) => {
    const x = g.operand(['f32', 'i32', 'bool'], (it) => it.v.rank > 0);
    if (x.v.rank === 0) return false;
    const amounts = () => x.v.shape.map(() => (g.rng.chance(0.5) ? 0 : g.rng.int(1, 2)));
    const facts = carried([x.facts]);
    return g.emit('pad', [x], { before: amounts(), after: amounts(), value: x.v.dtype === 'bool' ? 1 : -1 }, { ...facts, mag: Math.max(facts.mag, 1) }) !== undefined;
  },
  topk: { skip: 'two results (values and indices); covered by tests/op-cases.ts and the PyTorch goldens' },
  rope: { skip: 'needs cos/sin tables shaped to its rows; covered by tests/op-cases.ts and the PyTorch goldens' },
  conv1d: { skip: 'needs [N, Cin, L] operands with known channels; covered by tests/op-cases.ts and the PyTorch goldens' },
  argmax: (g) => {
    const x = g.operand(['f32', 'i32'], (it) => it.v.rank > 0 && stable(it.facts));
    if (x.v.rank === 0 || !stable(x.facts)) return false;
    const axis = g.rng.int(-x.v.rank, x.v.rank - 1);
    return g.emit('argmax', [x], { axis, keepdims: g.rng.chance(0.5) }, EXACT_INT) !== undefined;
  },
  softmax: (g) => {
    const x = softmaxOperand(g);
    return g.emit('softmax', [x], { axis: g.rng.int(-x.v.rank, x.v.rank - 1) }, inexact([x.facts], 1)) !== undefined;
  },
  log_softmax: (g) => {
    const x = softmaxOperand(g);
    return g.emit('log_softmax', [x], { axis: g.rng.int(-x.v.rank, x.v.rank - 1) }, inexact([x.facts], 2 * x.facts.mag + Math.log(dimMax(x.v.shape[x.v.rank - 1] ?? 1) + 1))) !== undefined;
  },
  rms_norm: (g) => {
    const x = g.operand(FLOAT, (it) => it.v.rank > 0 && (it.facts.exact ? summable(it.facts) : it.facts.mag <= 10 && !it.facts.special));
    const width = x.v.shape[x.v.rank - 1];
    if (width === undefined || isSymbol(width)) return false;
    return g.emit('rms_norm', [x, normParams(g, width)[0]], { eps: g.rng.pick([1e-5, 1e-3]) }, normFacts(x.facts, width)) !== undefined;
  },
  add_rms_norm: (g) => {
    const x = g.operand(FLOAT, (it) => it.v.rank > 0 && it.facts.mag <= 10 && !it.facts.special);
    const width = x.v.shape[x.v.rank - 1];
    if (width === undefined || isSymbol(width)) return false;
    const r = g.operand(FLOAT, (it) => it.facts.mag <= 10 && !it.facts.special, g.broadcastPartner(x.v.shape));
    const sum = inexact([x.facts, r.facts], x.facts.mag + r.facts.mag);
    return g.emit('add_rms_norm', [x, r, normParams(g, width)[0]], { eps: 1e-5 }, normFacts(sum, width)) !== undefined;
  },
  expand: (g) => {
    const x = g.operand(['f32', 'i32', 'bool'], (it) => it.v.shape.some((d) => d === 1));
    const shape = x.v.shape.map((d) => (d === 1 && g.rng.chance(0.7) ? g.dim() : d));
    return g.emit('expand', [x], { shape }, carried([x.facts])) !== undefined;
  },
  layer_norm: (g) => {
    const x = normOperand(g);
    const width = x.v.shape[x.v.rank - 1];
    if (width === undefined || isSymbol(width)) return false;
    return g.emit('layer_norm', [x, ...normParams(g, width)], { eps: g.rng.pick([1e-5, 1e-3]) }, normFacts(x.facts, width)) !== undefined;
  },
  matmul: matmulGen,
  reshape: (g) => {
    const x = g.operand(['f32', 'i32', 'bool']);
    return g.emit('reshape', [x], { shape: reshapeTarget(g, x.v.shape) }, carried([x.facts])) !== undefined;
  },
  transpose: (g) => {
    const x = g.operand(['f32', 'i32', 'bool'], (it) => it.v.rank >= 2);
    const perm = x.v.shape.map((_, i) => i).sort(() => g.rng.next() - 0.5);
    return g.emit('transpose', [x], { perm }, carried([x.facts])) !== undefined;
  },
  slice: (g) => {
    const x = g.operand(['f32', 'i32', 'bool'], (it) => it.v.rank > 0);
    if (x.v.rank === 0) return false;
    const axis = g.rng.int(0, x.v.rank - 1);
    const [start, size] = sliceOf(g, x.v.shape[axis]);
    return g.emit('slice', [x], { axis, start, size }, carried([x.facts])) !== undefined;
  },
  dynamic_slice: (g) => {
    const x = g.operand(['f32', 'i32', 'bool'], (it) => it.v.rank > 0);
    if (x.v.rank === 0) return false;
    const axis = g.rng.int(0, x.v.rank - 1);
    const [, size] = sliceOf(g, x.v.shape[axis]);
    // Starts from -9 to 9: past either end they clamp.
    const start = g.declare('i32', [], 'ints');
    return g.emit('dynamic_slice', [x, start], { axis, size }, carried([x.facts])) !== undefined;
  },
  concat: concatGen,
  split: splitGen,
  gather: gatherGen,
  constant: constantGen,
  iota: (g) => {
    const shape = g.shape(g.rng.int(1, 3));
    return g.emit('iota', [], { shape, axis: g.rng.int(0, shape.length - 1), dtype: g.rng.pick(['f32', 'i32'] as const) }, { mag: 16, special: false, exact: true }) !== undefined;
  },
  scaled_masked_softmax: (g) => {
    const x = softmaxOperand(g);
    const mask = g.rng.chance(0.7) ? [g.declare('f32', g.broadcastPartner(x.v.shape), 'mask')] : [];
    return g.emit('scaled_masked_softmax', [x, ...mask], { scale: g.rng.pick(SCALES) }, inexact([x.facts], 1)) !== undefined;
  },
  add_layer_norm: (g) => {
    const x = g.operand(FLOAT, (it) => it.v.rank > 0 && it.facts.mag <= 10 && !it.facts.special);
    const width = x.v.shape[x.v.rank - 1];
    if (width === undefined || isSymbol(width)) return false;
    const r = g.operand(FLOAT, (it) => it.facts.mag <= 10 && !it.facts.special, g.broadcastPartner(x.v.shape));
    const sum = inexact([x.facts, r.facts], x.facts.mag + r.facts.mag);
    return g.emit('add_layer_norm', [x, r, ...normParams(g, width)], { eps: 1e-5 }, normFacts(sum, width)) !== undefined;
  },
  linear: (g) => {
    const x = g.operand(FLOAT, (it) => it.v.rank >= 2 && summable(it.facts));
    if (x.v.rank < 2) return false;
    const k = x.v.shape[x.v.rank - 1];
    const n = g.rng.int(1, 9), transB = g.rng.chance(0.5);
    const w = g.declare('f32', transB ? [n, k] : [k, n], 'plain', true);
    const [epilogue, extras] = g.rng.pick(LINEAR_EPILOGUES);
    const out = [...x.v.shape.slice(0, -1), n];
    const ops = extras.map((e) => (e === 'bias' ? g.declare('f32', [n], 'plain', true) : g.operand(FLOAT, (it) => summable(it.facts), g.broadcastPartner(out))));
    const mag = dimMax(k) * x.facts.mag * 2 + ops.reduce((s, o) => s + o.facts.mag, 0);
    return g.emit('linear', [x, w, ...ops], { transB, epilogue }, inexact([x.facts, ...ops.map((o) => o.facts)], mag)) !== undefined;
  },
  attention: (g) => {
    const [lq, lk, d, dv] = [g.dim(), g.dim(), g.rng.int(1, 9), g.rng.int(1, 9)];
    // Layout bshd (a third of the time) puts the last batch dim, the heads, between the rows and the depth.
    const bshd = g.rng.chance(0.33);
    const batch = g.shape(g.rng.int(bshd ? 1 : 0, 2));
    const rows = (l: Dim, depth: Dim): Dim[] => (bshd ? [...batch.slice(0, -1), l, batch[batch.length - 1], depth] : [...batch, l, depth]);
    const [q, k, v] = [[lq, d], [lk, d], [lk, dv]].map(([l, depth]) => g.operand(FLOAT, (it) => summable(it.facts), rows(l, depth)));
    const mask = g.rng.chance(0.6) ? [g.declare('f32', g.rng.chance(0.5) ? [lq, lk] : [1, lk], 'mask')] : [];
    const facts = inexact([q.facts, k.facts, v.facts], v.facts.mag);
    const attrs = { scale: g.rng.pick(SCALES), causal: g.rng.chance(0.4), ...(bshd ? { layout: 'bshd' as const } : {}) };
    return g.emit('attention', [q, k, v, ...mask], attrs, facts) !== undefined;
  },
  fused_elementwise: (g) => {
    const xs = [g.operand(FLOAT, (it) => stable(it.facts))];
    xs.push(g.operand(FLOAT, (it) => stable(it.facts) && (!hasSpecial([xs[0], it]) || g.disjoint([xs[0], it])), g.broadcastPartner(xs[0].v.shape)));
    if (!xs.every((x) => stable(x.facts)) || (hasSpecial(xs) && !g.disjoint(xs))) return false;
    const expr = g.rng.pick(FUSED_EXPRS);
    return g.emit('fused_elementwise', xs, { expr }, inexact(xs.map((x) => x.facts), Infinity)) !== undefined;
  },
};

/** Epilogues of generated linear ops and the operands they take after w. */
const LINEAR_EPILOGUES: readonly [string, readonly ('bias' | 'residual')[]][] = [
  ['$0', []], ['add($0, $1)', ['bias']], ['add(relu(add($0, $1)), $2)', ['bias', 'residual']], ['gelu(add($0, $1))', ['bias']],
  ['add(tanh($0), $1)', ['residual']], ['mul(sigmoid(add($0, $1)), 2)', ['bias']], ['silu($0)', []],
];

const FUSED_EXPRS = [
  'add(mul($0, $1), 0.5)', 'where(gt($1, 0), $0, neg($1))', 'max(tanh($0), sigmoid($1))', 'sub(exp(min($0, 4)), $1)', 'div($0, add(abs($1), 1))',
];

/** How often each op kind is drawn (default 1). */
export const OP_WEIGHTS: Partial<Record<OpKind, number>> = { matmul: 2, add: 2, mul: 2, softmax: 1.5, reshape: 1.5, transpose: 1.5, slice: 1.5 };
