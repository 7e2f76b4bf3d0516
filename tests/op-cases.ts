// The one table of op cases every backend suite runs (backend-suite, wasm-backend, webgpu-backend):
// small graphs for every op kind of the op table, with symbolic dims whose inputs are made at any
// binding (ENVS: two of them), odd sizes, broadcasting, rows wider than a vector or a workgroup,
// -inf masks and fully masked rows, logits near ±1e4, NaN and ±inf, integer, bool and cast cases.
// The ops made from expression records get cases from their record (every dtype the rule takes;
// F32_INPUTS narrows a domain), so a new elementwise op is covered without an entry here; the
// mapped type makes any other new op kind without cases a compile error.

import {
  type DType, type Dim, EXPR_OPS, type Graph, GraphBuilder, NODE_EXPR_KINDS, type NodeExprKind, type OpAttrs, type OpKind, type Tensor, Var,
  concat, constant, conv1d, dynamicSlice, gather, input, iota, layerNorm, repeatKv, rmsNorm, rope, rotaryTables, split, tensor, where,
} from '@smelt/ir';

export type Env = { readonly n: number; readonly m: number };
export type Gen = (i: number) => number;

export interface OpCase {
  readonly name: string;
  readonly graph: Graph;
  readonly weights: Map<string, Tensor>;
  /** The inputs at a binding of the symbols n and m. */
  inputs(env: Env): Map<string, Tensor>;
}

/** The two bindings every executable runs at. */
export const ENVS: readonly Env[] = [{ n: 5, m: 7 }, { n: 2, m: 13 }];

let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const uniform = (lo: number, hi: number): Gen => () => lo + rand() * (hi - lo);
const ints = (lo: number, hi: number): Gen => () => Math.floor(lo + rand() * (hi - lo + 1));
const bools: Gen = () => (rand() < 0.5 ? 1 : 0);
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e4, -1e4, 0.5, -2.5];
const specials: Gen = (i) => (i < SPECIAL.length ? SPECIAL[i] : rand() * 6 - 3);
/** Specials, then small integers and fractions alternately (comparisons need equal pairs). */
const pairs: Gen = (i) => (i < SPECIAL.length ? SPECIAL[i] : i % 2 ? ints(-2, 2)(i) : rand() * 6 - 3);

/** A tensor of `dtype` with values from `gen(i)` (default: uniform in [-2, 2)). */
export function make(dtype: DType, shape: readonly number[], gen: Gen = uniform(-2, 2)): Tensor {
  const t = tensor(dtype, shape);
  for (let i = 0; i < t.data.length; i++) {
    if (t.data instanceof BigInt64Array) t.data[i] = BigInt(gen(i));
    else (t.data as Float32Array)[i] = gen(i);
  }
  return t;
}

interface InputSpec { readonly dtype: DType; readonly shape: readonly Dim[]; readonly gen: Gen }
const inp = (dtype: DType, shape: readonly Dim[], gen?: Gen): InputSpec => ({ dtype, shape, gen: gen ?? uniform(-2, 2) });
const resolve = (shape: readonly Dim[], env: Env) => shape.map((d) => (d === 'n' ? env.n : d === 'm' ? env.m : (d as number)));

function opCase(name: string, ins: Record<string, InputSpec>, build: (x: Record<string, Var>, b: GraphBuilder) => Record<string, Var>, weights: Record<string, Tensor> = {}): OpCase {
  const b = new GraphBuilder(name.replace(/\W/g, '_'));
  const vars: Record<string, Var> = {};
  for (const [k, s] of Object.entries(ins)) vars[k] = input(b, k, s.dtype, s.shape);
  for (const [k, t] of Object.entries(weights)) vars[k] = new Var(b, b.param(k, t.dtype, t.shape));
  for (const [k, v] of Object.entries(build(vars, b))) b.output(k, v.value);
  return {
    name, graph: b.graph, weights: new Map(Object.entries(weights)),
    inputs: (env) => new Map(Object.entries(ins).map(([k, s]) => [k, make(s.dtype, resolve(s.shape, env), s.gen)])),
  };
}

function emit<K extends OpKind>(b: GraphBuilder, op: K, xs: readonly Var[], attrs: OpAttrs[K]): Var {
  return new Var(b, b.emit(op, xs.map((x) => x.value), attrs)[0]);
}

/** f32 inputs of ops with a narrower domain than the specials (the others get `specials`). */
const F32_INPUTS: Partial<Record<NodeExprKind, Gen>> = {
  log: (i) => (i === 0 ? 0 : i === 1 ? Infinity : i === 2 ? -1 : rand() * 9 + 0.01),
  sqrt: (i) => (i === 0 ? 0 : i === 1 ? Infinity : rand() * 9),
  rsqrt: (i) => (i === 0 ? Infinity : i === 1 ? 0 : rand() * 9 + 0.01),
  erf: (i) => (i < SPECIAL.length ? SPECIAL[i] : rand() * 10 - 5),
  sin: uniform(-6, 6),
  cos: uniform(-6, 6),
};

/** Cases of an op made from an expression record: one per dtype its rule takes among f32, i32, bool and u8. */
function recordCases(kind: NodeExprKind): OpCase[] {
  const { arity, dtype } = EXPR_OPS[kind];
  const dtypes = (['f32', 'i32', 'bool', 'u8'] as const).filter((d) => typeof dtype(Array(arity).fill(d)) === 'string');
  const gen = (d: DType): Gen => (d === 'f32' ? F32_INPUTS[kind] ?? (arity === 1 ? specials : pairs) : d === 'bool' ? bools : d === 'u8' ? ints(0, 200) : arity === 1 ? ints(-50, 50) : ints(-9, 9));
  if (arity === 1) return dtypes.map((d) => opCase(`${kind} ${d}`, { x: inp(d, ['n', 7], gen(d)) }, ({ x }, b) => ({ y: emit(b, kind, [x], {}) })));
  if (arity === 2) {
    return dtypes.map((d) => opCase(`${kind} ${d}`, { a: inp(d, ['n', 1, 13], gen(d)), c: inp(d, [3, 13], gen(d)), e: inp(d, ['n', 3, 13], gen(d)) },
      ({ a, c, e }, b) => ({ y: emit(b, kind, [a, c], {}), z: emit(b, kind, [e, a], {}) })));
  }
  throw new Error(`${kind}: give its cases in CASES`);
}

type RecordCases = { readonly [K in Exclude<NodeExprKind, 'where'>]: () => OpCase[] };

/** Cases of every unary and binary record op (where, the one ternary, has its own). */
function recordTable(): RecordCases {
  return Object.fromEntries(NODE_EXPR_KINDS.filter((k) => EXPR_OPS[k].arity < 3).map((k) => [k, () => recordCases(k)])) as RecordCases;
}

/** Epilogues of the linear cases and their operands after w (a bias [6], a residual [n, 6]). */
const LINEAR_EPILOGUES: readonly [string, readonly ('bias' | 'residual')[]][] = [
  ['$0', []],
  ['add(add($0, $1), $2)', ['bias', 'residual']],
  ['add(relu($0), $1)', ['residual']],
  ['gelu(add($0, $1))', ['bias']],
  ['add(gelu_tanh(add($0, $1)), $2)', ['bias', 'residual']],
  ['mul(tanh(add($0, $1)), sigmoid($2))', ['bias', 'residual']],
  ['add(silu(add($0, $1)), $2)', ['bias', 'residual']],
];

export const CASES: { readonly [K in OpKind]: () => OpCase[] } = {
  ...recordTable(),
  pow: () => [opCase('pow', { a: inp('f32', ['n', 1, 5], (i) => [0, -2, 2.5, NaN, -0.5][i % 5] + (i > 4 ? rand() : 0)), c: inp('f32', [3, 5], (i) => [0, 2, -1, 3, 0.5, 1.5, -2, 1][i % 8]) },
    ({ a, c }) => ({ y: a.pow(c) }))],
  where: () => [opCase('where', { c: inp('bool', ['n', 1], bools), x: inp('f32', ['n', 13]), z: inp('f32', [13]), k: inp('i32', ['n', 1], ints(-5, 5)) },
    ({ c, x, z, k }) => ({ y: where(c, x, z), masked: where(c, -Infinity, 0), ints: where(c.not(), k, k.neg()) }))],
  gelu: () => (['none', 'tanh'] as const).map((a) => opCase(`gelu ${a}`, { x: inp('f32', ['n', 7], specials) }, ({ x }) => ({ y: x.gelu(a) }))),
  cast: () => ([['f32', 'i32'], ['f32', 'bool'], ['f32', 'f16'], ['f32', 'u8'], ['f32', 'i64'], ['i32', 'f32'], ['i32', 'bool'], ['bool', 'f32'], ['bool', 'i32'], ['i64', 'f32'], ['u8', 'i32']] as const)
    .map(([from, to]) => opCase(`cast ${from}→${to}`, { x: inp(from, ['n', 4], from === 'f32' ? (i) => (i < 3 ? SPECIAL[i] : rand() * 500 - 250) : from === 'bool' ? bools : ints(0, 200)) },
      ({ x }) => ({ y: x.cast(to), back: to === 'f16' ? x.cast(to).cast('f32') : x.cast(to).cast(to === 'bool' ? 'i32' : to) })))
    // Past ±2³¹ a float truncates and wraps modulo 2³² as an Int32Array store does (0 from 2⁵⁶ on).
    .concat(opCase('cast f32→i32 wraps', { x: inp('f32', ['n', 4], (i) => [2 ** 31, -(2 ** 31), 3e9, -3e9, 2 ** 32 + 512, 1e10, -1e10, 2 ** 40 + 2 ** 17, 2 ** 55, 2 ** 56, 1e30, -3e38, 16777217, -16777219, 2 ** 24 - 0.5, 2147483520][i % 16]) },
      ({ x }) => ({ y: x.cast('i32'), bytes: x.cast('u8') }))),
  reduce_sum: () => [
    opCase('sum', { x: inp('f32', ['n', 3, 13]) }, ({ x }) => ({ y: x.sum([1]), z: x.sum([0, 2], true), w: x.sum([2]) })),
    opCase('sum wide keepdims', { x: inp('f32', ['n', 3, 70]) }, ({ x }) => ({ y: x.sum([0, 2], true) })),
    opCase('sum i32', { x: inp('i32', ['n', 3], ints(-100, 100)) }, ({ x }) => ({ y: x.sum([0, 1]) })),
  ],
  reduce_mean: () => [opCase('mean', { x: inp('f32', ['n', 3, 5]) }, ({ x }) => ({ y: x.mean([-1]), z: x.mean([0, 1], true) }))],
  reduce_max: () => [opCase('max', { x: inp('f32', ['n', 9], (i) => (i === 3 ? NaN : i >= 9 && i < 18 ? -Infinity : rand())), k: inp('i32', [3, 'n'], ints(-100, 100)) },
    ({ x, k }) => ({ y: x.max([-1]), z: x.max([0]), w: k.max([1], true) }))],
  reduce_min: () => [opCase('min', { x: inp('f32', ['n', 9], (i) => (i === 3 ? NaN : i >= 9 && i < 18 ? Infinity : rand())), k: inp('i32', [3, 'n'], ints(-100, 100)), w: inp('f32', ['n', 3, 70]) },
    ({ x, k, w }) => ({ y: x.min([-1]), z: x.min([0]), v: k.min([1], true), u: w.min([0, 2], true) }))],
  cumsum: () => [opCase('cumsum', { x: inp('f32', ['n', 7]), k: inp('i32', [3, 'n'], (i) => (i === 0 ? 2147483647 : ints(-9, 9)(i))) },
    ({ x, k }) => ({ y: x.cumsum(1), rev: x.cumsum(0, { reverse: true }), excl: x.cumsum(-1, { exclusive: true, reverse: true }), n: k.cumsum(0), m: k.cumsum(1, { exclusive: true }) }))],
  topk: () => [opCase('topk', { x: inp('f32', ['n', 9], (i) => (i === 3 || i === 5 ? NaN : ints(-2, 2)(i))), k: inp('i32', [3, 'm'], ints(-3, 3)), w: inp('f32', [3, 70]) }, ({ x, k, w }) => {
    const [v, i] = x.topk(4);
    const [sv, si] = x.topk(2, 0, false);
    const [kv, ki] = k.topk(5, 1);
    const [wv, wi] = w.topk(6, -1, false);
    return { v, i, sv, si, kv, ki, wv, wi };
  })],
  argmax: () => [
    opCase('argmax', { x: inp('f32', ['n', 9], (i) => (i < 9 ? -Infinity : i === 12 ? NaN : ints(0, 3)(i))), k: inp('i32', [3, 'm'], ints(-5, 5)) },
      ({ x, k }) => ({ y: x.argmax(-1), z: x.argmax(0, true), w: k.argmax(1) })),
    opCase('argmax wide i32', { k: inp('i32', [3, 70], ints(-5, 5)) }, ({ k }) => ({ y: k.argmax(1) })),
  ],
  softmax: () => [
    opCase('softmax', { x: inp('f32', [2, 'n', 'm'], (i) => (i < 13 ? -Infinity : i % 11 === 0 ? 1e4 : i % 7 === 0 ? -1e4 : rand() * 40 - 20)) }, ({ x }) => ({ y: x.softmax(-1) })),
    // Over another axis than the last (found by the fuzzer: lowering refused it): moved last and back.
    opCase('softmax over axes 0 and 1', { x: inp('f32', [3, 'n', 5], (i) => (i % 9 === 0 ? -Infinity : rand() * 8 - 4)) }, ({ x }) => ({ y: x.softmax(1), z: x.softmax(-3), w: x.exp().softmax(0).add(1) })),
    opCase('softmax wide, masked and large', { x: inp('f32', [2, 'n', 70], (i) => (i < 70 ? -Infinity : i < 140 ? (i % 7 ? -Infinity : 1e4) : rand() * 40 - 20)) }, ({ x }) => ({ y: x.softmax(-1) })),
  ],
  log_softmax: () => [
    opCase('log_softmax', { x: inp('f32', [2, 'n', 'm'], (i) => (i < 13 ? -Infinity : i % 11 === 0 ? 1e4 : i % 7 === 0 ? -Infinity : rand() * 40 - 20)) }, ({ x }) => ({ y: x.logSoftmax(-1) })),
    opCase('log_softmax wide', { x: inp('f32', ['n', 70], uniform(-30, 30)) }, ({ x }) => ({ y: x.logSoftmax(-1) })),
  ],
  layer_norm: () => [
    ...[13, 70].map((w) => opCase(`layer_norm ${w}`, { x: inp('f32', ['n', w], uniform(3, 13)) }, ({ x, g, c }) => ({ y: layerNorm(x, g, c, 1e-5) }), { g: make('f32', [w]), c: make('f32', [w]) })),
    opCase('layer_norm without bias', { x: inp('f32', [2, 'n', 70], uniform(-3, 13)) }, ({ x, g }) => ({ y: layerNorm(x, g, undefined, 1e-5) }), { g: make('f32', [70]) }),
  ],
  rms_norm: () => [13, 70].map((w) => opCase(`rms_norm ${w}`, { x: inp('f32', [2, 'n', w], uniform(-3, 5)) }, ({ x, g }) => ({ y: rmsNorm(x, g, 1e-6), z: rmsNorm(x.mul(0), g, 1e-5) }), { g: make('f32', [w]) })),
  matmul: () => [
    opCase('matmul odd', { a: inp('f32', [2, 'n', 7]), c: inp('f32', [7, 13]) }, ({ a, c }) => ({ y: a.matmul(c), t: a.matmul(c.mT(), { transB: true }) })),
    opCase('matmul batched', { a: inp('f32', [2, 3, 'n', 8]), c: inp('f32', [2, 3, 8, 'm']) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul transA', { a: inp('f32', [2, 7, 'n']), c: inp('f32', [7, 6]) }, ({ a, c }) => ({ y: a.matmul(c, { transA: true }) })),
    opCase('matmul transB wide', { a: inp('f32', ['n', 8]), c: inp('f32', [66, 8]) }, ({ a, c }) => ({ y: a.matmul(c, { transB: true }) })),
    opCase('matmul broadcast batch', { a: inp('f32', [2, 1, 'n', 5]), c: inp('f32', [3, 5, 'm']) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul weight', { a: inp('f32', ['n', 'm', 21]) }, ({ a, w }) => ({ y: a.matmul(w), z: a.matmul(w.mT().mT()).mul(2) }), { w: make('f32', [21, 18]) }),
    opCase('matmul large', { a: inp('f32', [70, 68]), c: inp('f32', [68, 72]) }, ({ a, c }) => ({ y: a.matmul(c) })),
  ],
  rope: () => [
    opCase('rope tables as inputs', { x: inp('f32', [2, 3, 'n', 8], uniform(-3, 3)), c: inp('f32', ['n', 3]), s: inp('f32', ['n', 3]), y: inp('f32', ['n', 2, 6]), c2: inp('f32', ['n', 1, 3]), s2: inp('f32', ['n', 1, 3]) },
      ({ x, c, s, y, c2, s2 }, b) => ({ half: emit(b, 'rope', [x, c, s], { interleaved: false }), interleaved: emit(b, 'rope', [y, c2, s2], { interleaved: true }) })),
    // A cache of m positions grown by n rotated at offset m (cached decoding), position ids, a rotary size below the head size.
    opCase('rope at an offset and at position ids', { x: inp('f32', [2, 3, 'n', 8]), cache: inp('f32', [2, 3, 'm', 8]), pos: inp('i32', [2, 'n'], ints(0, 39)) }, ({ x, cache, pos }, b) => {
      const tables = rotaryTables(b, { dim: 8, maxPositions: 40, base: 500 });
      const narrow = rotaryTables(b, { dim: 4, maxPositions: 40 });
      return { grown: concat([cache, rope(x, tables, { offset: 'm' })], 2), ids: rope(x, tables, { positions: pos, interleaved: true }), partial: rope(x, narrow, { offset: 3 }) };
    }),
  ],
  conv1d: () => [opCase('conv1d', { x: inp('f32', [2, 4, 'n']), y: inp('f32', [1, 3, 13]) }, ({ x, y, w, b, w2 }) => ({
    same: conv1d(x, w, b, { padding: 2, dilation: 2, groups: 2 }), plain: conv1d(x, w2), strided: conv1d(y, w2.slice(1, 0, 3), undefined, { stride: 3, padding: 1 }),
  }), { w: make('f32', [6, 2, 3]), b: make('f32', [6]), w2: make('f32', [3, 4, 1]) })],
  reshape: () => [opCase('reshape', { x: inp('f32', ['n', 6]) }, ({ x }) => ({ y: x.add(1).reshape(['n', 2, 3]), view: x.reshape(['n', 3, 2]) }))],
  transpose: () => [
    opCase('transpose', { x: inp('f32', [2, 'n', 3]), h: inp('i32', [2, 3, 'n', 4], ints(-9, 9)) }, ({ x, h }) => ({ y: x.transpose([1, 0, 2]), z: h.transpose([0, 2, 1, 3]), w: x.transpose([2, 1, 0]) })),
  ],
  slice: () => [
    opCase('slice', { x: inp('f32', ['n', 9]), y: inp('f32', [3, 'n', 2]) }, ({ x, y }) => ({ a: x.slice(1, 2, 4), b: x.slice(0, 0, 'n'), c: y.slice(2, 1, 1) })),
    // Computed starts and sizes: the last row (`n - 1`), a row picked by another input's length
    // (`n` of an `m`-row table, m > n in every env), and all rows but the first.
    opCase('slice computed dims', { x: inp('f32', ['n', 9]), t: inp('f32', [2, 'm', 3]) }, ({ x, t }) => ({
      last: x.slice(0, 'n - 1', 1), picked: t.slice(1, 'n', 1).mul(2), rest: x.slice(0, 1, 'n - 1').exp(),
    })),
  ],
  // Starts read at run time: inside, past the end and negative (both clamp), along a symbolic axis.
  dynamic_slice: () => [
    opCase('dynamic_slice', { x: inp('f32', ['n', 9]), y: inp('i32', [3, 'n', 2], ints(-9, 9)), s: inp('i32', [], ints(1, 1)), far: inp('i32', [], ints(40, 40)), neg: inp('i32', [], ints(-5, -5)) },
      ({ x, y, s, far, neg }) => ({
        a: dynamicSlice(x, s, 1, 4), end: dynamicSlice(x, far, 1, 3), start: dynamicSlice(x, neg, 1, 2).mul(2),
        rows: dynamicSlice(x, s, 0, 1), last: dynamicSlice(y, far, 1, 1), mid: dynamicSlice(y, s, 2, 1),
      })),
  ],
  concat: () => [
    opCase('concat', { a: inp('f32', ['n', 2]), c: inp('f32', ['n', 3]), d: inp('i32', [2, 'n'], ints(0, 9)) },
      ({ a, c, d }) => ({ y: concat([a, c, a], 1), z: concat([d, d.mul(2)], 0) })),
    // Along symbolic axes: a cache grown by one step (`n + 1`), then read by later kernels, and two symbols (`m + n`).
    opCase('concat computed dims', { cache: inp('f32', [2, 'n', 3]), step: inp('f32', [2, 1, 3]), a: inp('f32', ['n', 2]), b: inp('f32', ['m', 2]) },
      ({ cache, step, a, b }) => {
        const grown = concat([cache, step], 1);
        return { grown, doubled: grown.mul(2).add(1), both: concat([a, b], 0), tail: grown.slice(1, 'n', 1) };
      }),
  ],
  split: () => [opCase('split', { x: inp('f32', ['n', 7]) }, ({ x }) => {
    const [p, q, r] = split(x, [2, 4, 1], -1);
    return { p, q, r };
  })],
  expand: () => [opCase('expand', { x: inp('f32', ['n', 1, 3]), r: inp('f32', [4, 3]), k: inp('i32', [1, 'm'], ints(-9, 9)), c: inp('bool', ['n', 1], bools) },
    ({ x, r, k, c }) => ({
      y: x.expand([2, 'n', 4, 3]), z: k.expand(['n', -1]), w: c.expand(['n', 5]), plus: x.expand(['n', 4, 3]).add(r),
      kv: repeatKv(x.expand(['n', 2, 3]).unsqueeze(1), 3).mul(2), squeezed: x.squeeze([1]).unsqueeze(-1).squeeze(),
    }))],
  pad: () => [opCase('pad', { x: inp('f32', ['n', 3], specials), k: inp('i32', [2, 'n'], ints(-9, 9)), c: inp('bool', ['n'], bools), w: inp('f32', [2, 'n', 70]) },
    ({ x, k, c, w }) => ({ y: x.pad([1, 0], [2, 1], 0.5), z: k.pad([0, 2], [1, 0], -1), u: c.pad([1], [1], 1), v: w.pad([0, 1, 3], [0, 0, 2]).mul(2) }))],
  gather: () => [
    opCase('gather rows', { ids: inp('i32', ['n', 3], ints(0, 10)) }, ({ t, ids }) => ({ y: gather(t, ids, 0) }), { t: make('f32', [11, 6]) }),
    opCase('gather axis 1 i64', { ids: inp('i64', ['n'], ints(0, 8)) }, ({ t, ids }) => ({ y: gather(t, ids, 1) }), { t: make('f32', [4, 9]) }),
  ],
  constant: () => [opCase('constant', { x: inp('f32', ['n', 5]) }, ({ x }, b) => {
    const k = constant(b, make('f32', [5], specials));
    const big = constant(b, make('f32', [70, 5]));
    return { y: x.add(k), k, z: big.slice(0, 3, 'n').mul(x) };
  })],
  iota: () => [opCase('iota', { x: inp('f32', ['n', 4]) }, ({ x }, b) => ({ rows: iota(b, ['n', 4], 0), cols: iota(b, ['n', 4], 1, 'f32').add(x) }))],
  scaled_masked_softmax: () => [opCase('scaled_masked_softmax', {
    x: inp('f32', [2, 'n', 'm'], uniform(-1000, 1000)), k: inp('f32', ['n', 'm'], (i) => (i < 13 || i % 5 === 0 ? -Infinity : 0)),
  }, ({ x, k }, b) => ({ y: emit(b, 'scaled_masked_softmax', [x, k], { scale: 0.5 }), z: emit(b, 'scaled_masked_softmax', [x], { scale: 2 }) }))],
  add_layer_norm: () => [
    ...[13, 70].map((w) => opCase(`add_layer_norm ${w}`, { x: inp('f32', ['n', w]), r: inp('f32', [w]) }, ({ x, r, g, c }, b) => {
      const [y, s] = b.emit('add_layer_norm', [x.value, r.value, g.value, c.value], { eps: 1e-5 });
      return { y: new Var(b, y), s: new Var(b, s) };
    }, { g: make('f32', [w]), c: make('f32', [w]) })),
    opCase('add_layer_norm without bias', { x: inp('f32', ['n', 70]), r: inp('f32', ['n', 70]) }, ({ x, r, g }, b) => {
      const [y, s] = b.emit('add_layer_norm', [x.value, r.value, g.value], { eps: 1e-5 });
      return { y: new Var(b, y), s: new Var(b, s).mul(2) };
    }, { g: make('f32', [70]) }),
  ],
  add_rms_norm: () => [13, 70].map((w) => opCase(`add_rms_norm ${w}`, { x: inp('f32', ['n', w]), r: inp('f32', ['n', 1]) }, ({ x, r, g }, b) => {
    const [y, s] = b.emit('add_rms_norm', [x.value, r.value, g.value], { eps: 1e-6 });
    return { y: new Var(b, y), s: new Var(b, s) };
  }, { g: make('f32', [w]) })),
  linear: () => LINEAR_EPILOGUES.map(([epilogue, extras], i) => opCase(`linear ${epilogue}`, {
    x: inp('f32', [2, 'n', 8]), r: inp('f32', ['n', 6]),
  }, ({ x, r, w, c }, b) => {
    const transB = i % 2 === 0;
    const ops = [x, transB ? w : w.transpose([1, 0]), ...extras.map((e) => (e === 'bias' ? c : r))];
    return { y: emit(b, 'linear', ops, { transB, epilogue }) };
  }, { w: make('f32', [6, 8]), ...(extras.includes('bias') ? { c: make('f32', [6]) } : {}) })), // no bias, no c: no weight left unread
  attention: () => [
    opCase('attention padding mask', {
      q: inp('f32', [2, 3, 'n', 8]), k: inp('f32', [2, 3, 'm', 8]), v: inp('f32', [2, 3, 'm', 4]),
      mask: inp('f32', [2, 1, 1, 'm'], (i) => (i % 13 === 0 || i % 3 === 0 ? -Infinity : 0)),
    }, ({ q, k, v, mask }, b) => ({ y: emit(b, 'attention', [q, k, v, mask], { scale: 0.35, causal: false }) })),
    opCase('attention causal', {
      q: inp('f32', [3, 'n', 6], uniform(-4, 4)), k: inp('f32', [3, 'n', 6]), v: inp('f32', [3, 'n', 5]),
      mask: inp('f32', ['n', 'n'], (i) => (i % 4 === 1 ? -Infinity : 0)),
    }, ({ q, k, v, mask }, b) => ({ y: emit(b, 'attention', [q, k, v, mask], { scale: 1.5, causal: true }), z: emit(b, 'attention', [q, k, v], { scale: 0.4, causal: true }) })),
    opCase('attention 37 keys, causal 19 queries', {
      q: inp('f32', [2, 'n', 8]), k: inp('f32', [2, 37, 8]), v: inp('f32', [2, 37, 4]), mask: inp('f32', [2, 1, 37], (i) => (i >= 37 || i % 3 === 0 ? -Infinity : 0)),
      cq: inp('f32', [3, 19, 6], uniform(-4, 4)), ck: inp('f32', [3, 19, 6]), cv: inp('f32', [3, 19, 5]),
    }, ({ q, k, v, mask, cq, ck, cv }, b) => ({
      y: emit(b, 'attention', [q, k, v, mask], { scale: 0.35, causal: false }), z: emit(b, 'attention', [cq, ck, cv], { scale: 0.4, causal: true }),
    })),
    // Grouped-query (6 query heads over 2 kv heads, and over 3 with a per-head mask) and multi-query (1 kv head).
    opCase('attention grouped-query and multi-query', {
      q: inp('f32', [2, 6, 'n', 8]), k: inp('f32', [2, 2, 'm', 8]), v: inp('f32', [2, 2, 'm', 4]), k3: inp('f32', [2, 3, 'm', 8]), v3: inp('f32', [3, 'm', 4]),
      mask: inp('f32', [2, 1, 1, 'm'], (i) => (i % 5 === 0 ? -Infinity : 0)), heads: inp('f32', [6, 1, 'm'], (i) => (i % 4 === 1 ? -Infinity : 0)),
      ck: inp('f32', [2, 2, 'n', 8]), cv: inp('f32', [2, 2, 'n', 4]), mk: inp('f32', [2, 1, 'n', 8]), mv: inp('f32', [2, 1, 'n', 4]),
    }, ({ q, k, v, k3, v3, mask, heads, ck, cv, mk, mv }, b) => ({
      gqa: emit(b, 'attention', [q, k, v, mask], { scale: 0.35, causal: false }),
      perHead: emit(b, 'attention', [q, k3, v3, heads], { scale: 0.5, causal: false }),
      causal: emit(b, 'attention', [q, ck, cv], { scale: 0.35, causal: true }),
      mqa: emit(b, 'attention', [q, mk, mv, mask.slice(3, 0, 'n')], { scale: 0.35, causal: true }),
    })),
    // Layout bshd: q, k, v and the result [..., L, H, d] (rows H·d apart), the mask [..., H, Lq, Lk] as in bhsd.
    opCase('attention bshd: padding mask, causal, odd head sizes', {
      q: inp('f32', [2, 'n', 3, 8]), k: inp('f32', [2, 'm', 3, 8]), v: inp('f32', [2, 'm', 3, 4]),
      mask: inp('f32', [2, 1, 1, 'm'], (i) => (i % 13 === 0 || i % 3 === 0 ? -Infinity : 0)),
      cq: inp('f32', ['n', 3, 5], uniform(-4, 4)), ck: inp('f32', ['n', 3, 5]), cv: inp('f32', ['n', 3, 7]),
      cmask: inp('f32', [3, 'n', 'n'], (i) => (i % 4 === 1 ? -Infinity : 0)),
    }, ({ q, k, v, mask, cq, ck, cv, cmask }, b) => ({
      y: emit(b, 'attention', [q, k, v, mask], { scale: 0.35, causal: false, layout: 'bshd' }),
      z: emit(b, 'attention', [cq, ck, cv, cmask], { scale: 1.5, causal: true, layout: 'bshd' }),
      w: emit(b, 'attention', [cq, ck, cv], { scale: 0.4, causal: true, layout: 'bshd' }),
    })),
    opCase('attention bshd: grouped-query over 37 keys, multi-query, causal', {
      q: inp('f32', [2, 'n', 6, 8]), k: inp('f32', [2, 37, 2, 8]), v: inp('f32', [2, 37, 2, 4]),
      heads: inp('f32', [6, 1, 37], (i) => (i % 4 === 1 ? -Infinity : 0)),
      ck: inp('f32', [2, 'n', 3, 8]), cv: inp('f32', [2, 'n', 3, 4]), mk: inp('f32', ['n', 1, 8]), mv: inp('f32', ['n', 1, 4]),
    }, ({ q, k, v, heads, ck, cv, mk, mv }, b) => ({
      gqa: emit(b, 'attention', [q, k, v, heads], { scale: 0.35, causal: false, layout: 'bshd' }),
      causal: emit(b, 'attention', [q, ck, cv], { scale: 0.35, causal: true, layout: 'bshd' }),
      mqa: emit(b, 'attention', [q, mk, mv], { scale: 0.5, causal: true, layout: 'bshd' }),
    })),
    opCase('attention bshd: head size known at run time', {
      q: inp('f32', [2, 'm', 2, 'n']), k: inp('f32', [2, 'm', 2, 'n']), v: inp('f32', [2, 'm', 2, 'n']),
    }, ({ q, k, v }, b) => ({ y: emit(b, 'attention', [q, k, v], { scale: 0.3, causal: true, layout: 'bshd' }) })),
  ],
  fused_elementwise: () => [
    opCase('fused f32', { a: inp('f32', ['n', 5], specials), c: inp('f32', [5]), m: inp('bool', ['n', 1], bools) }, ({ a, c, m }, b) =>
      ({ y: emit(b, 'fused_elementwise', [a, c, m], { expr: 'where($2, add(mul($0, $1), 0.5), sub(gelu($1), inf))' }) })),
    opCase('fused ints', { a: inp('i32', ['n'], ints(-9, 9)), c: inp('i32', ['n'], ints(-3, 3)), x: inp('f32', ['n']) }, ({ a, c, x }, b) =>
      ({ y: emit(b, 'fused_elementwise', [a, c, x], { expr: 'add(cast_f32(mul($0, $1)), $2)' }), z: emit(b, 'fused_elementwise', [a, c], { expr: 'cast_i32(lt($0, $1))' }) })),
  ],
};
