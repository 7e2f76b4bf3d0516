// Small graphs for every op kind of the op table, for the wasm and WebGPU backend suites: symbolic dims,
// odd sizes, broadcasting, -inf masks, fully masked rows, large logits, NaN and ±inf, integer
// edge cases. The mapped type makes a new op kind without cases a compile error.

import {
  type DType, type Graph, GraphBuilder, type OpAttrs, type OpKind, type Tensor, Var,
  concat, constant, gather, input, iota, layerNorm, split, tensor, where,
} from '@smelt/ir';

export interface OpCase {
  readonly name: string;
  readonly graph: Graph;
  readonly inputs: Map<string, Tensor>;
  readonly weights: Map<string, Tensor>;
}

let state = 12345;
const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);

/** A tensor of `dtype` with values from `gen(i)` (default: uniform in [-2, 2)). */
export function make(dtype: DType, shape: number[], gen: (i: number) => number = () => rand() * 4 - 2): Tensor {
  const t = tensor(dtype, shape);
  for (let i = 0; i < t.data.length; i++) {
    const v = gen(i);
    if (t.data instanceof BigInt64Array) t.data[i] = BigInt(v);
    else (t.data as Float32Array)[i] = v;
  }
  return t;
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e4, -1e4];
const withSpecials = (i: number) => (i < SPECIAL.length ? SPECIAL[i] : rand() * 6 - 3);
const ints = (lo: number, hi: number) => () => Math.floor(lo + rand() * (hi - lo + 1));
const bools = () => (rand() < 0.5 ? 1 : 0);

interface InputSpec { readonly dtype: DType; readonly shape: (number | string)[]; readonly data: Tensor }

/** One case: inputs (with symbolic shapes declared, concrete data given) and outputs built from them. */
function opCase(name: string, inputs: Record<string, InputSpec>, build: (x: Record<string, Var>, b: GraphBuilder) => Record<string, Var>, weights: Record<string, Tensor> = {}): OpCase {
  const b = new GraphBuilder(name.replace(/\W/g, '_'));
  const vars: Record<string, Var> = {};
  for (const [k, s] of Object.entries(inputs)) vars[k] = input(b, k, s.dtype, s.shape);
  for (const [k, t] of Object.entries(weights)) vars[k] = new Var(b, b.param(k, t.dtype, t.shape));
  for (const [k, v] of Object.entries(build(vars, b))) b.output(k, v.value);
  return {
    name, graph: b.graph,
    inputs: new Map(Object.entries(inputs).map(([k, s]) => [k, s.data])),
    weights: new Map(Object.entries(weights)),
  };
}

/** An input spec: declared shape (symbols allowed), data made at `actual`. */
const inp = (dtype: DType, shape: (number | string)[], actual: number[], gen?: (i: number) => number): InputSpec =>
  ({ dtype, shape, data: make(dtype, actual, gen) });

const X = (gen?: (i: number) => number) => inp('f32', ['n', 7], [5, 7], gen);
const unaryCase = (op: string, gen?: (i: number) => number): (() => OpCase[]) => () =>
  [opCase(op, { x: X(gen ?? withSpecials) }, ({ x }, b) => ({ y: emit1(b, op as OpKind, [x], {}) }))];

function emit1<K extends OpKind>(b: GraphBuilder, op: K, xs: Var[], attrs: OpAttrs[K]): Var {
  return new Var(b, b.emit(op, xs.map((x) => x.value), attrs)[0]);
}

const binaryCase = (op: OpKind, dtypes: DType[], gen: (d: DType) => (i: number) => number): (() => OpCase[]) => () =>
  dtypes.map((d) => opCase(`${op} ${d}`, {
    a: inp(d, ['n', 1, 5], [4, 1, 5], gen(d)),
    c: inp(d, [3, 5], [3, 5], gen(d)),
  }, ({ a, c }, b) => ({ y: emit1(b, op, [a, c], {}) })));

const numGen = (d: DType) => (d === 'f32' ? withSpecials : d === 'bool' ? bools : ints(-9, 9));
const cmpGen = (d: DType) => (d === 'f32' ? (i: number) => (i < 3 ? SPECIAL[i] : ints(-2, 2)()) : d === 'bool' ? bools : ints(-2, 2));

export const CASES: { readonly [K in OpKind]: () => OpCase[] } = {
  neg: () => [...unaryCase('neg')(), opCase('neg i32', { x: inp('i32', ['n'], [9], ints(-50, 50)) }, ({ x }) => ({ y: x.neg() }))],
  abs: () => [...unaryCase('abs')(), opCase('abs i32', { x: inp('i32', ['n'], [9], ints(-50, 50)) }, ({ x }) => ({ y: x.abs() }))],
  exp: unaryCase('exp'),
  log: unaryCase('log', (i) => (i === 0 ? 0 : i === 1 ? Infinity : rand() * 9 + 0.01)),
  sqrt: unaryCase('sqrt', (i) => (i === 0 ? 0 : i === 1 ? Infinity : rand() * 9)),
  rsqrt: unaryCase('rsqrt', (i) => (i === 0 ? Infinity : rand() * 9 + 0.01)),
  tanh: unaryCase('tanh'),
  erf: unaryCase('erf'),
  relu: () => [...unaryCase('relu')(), opCase('relu i32', { x: inp('i32', ['n'], [9], ints(-5, 5)) }, ({ x }) => ({ y: x.relu() }))],
  sigmoid: unaryCase('sigmoid'),
  sin: unaryCase('sin', () => rand() * 12 - 6),
  cos: unaryCase('cos', () => rand() * 12 - 6),
  not: () => [opCase('not', { x: inp('bool', ['n', 3], [5, 3], bools) }, ({ x }) => ({ y: x.not() }))],
  gelu: () => (['none', 'tanh'] as const).map((a) => opCase(`gelu ${a}`, { x: X(withSpecials) }, ({ x }) => ({ y: x.gelu(a) }))),
  cast: () => ([['f32', 'i32'], ['f32', 'bool'], ['f32', 'f16'], ['f32', 'u8'], ['f32', 'i64'], ['i32', 'f32'], ['i32', 'bool'], ['bool', 'f32'], ['bool', 'i32']] as const)
    .map(([from, to]) => opCase(`cast ${from}→${to}`, { x: inp(from, ['n', 4], [5, 4], from === 'f32' ? (i) => (i < 3 ? SPECIAL[i] : rand() * 600 - 300) : numGen(from)) },
      ({ x }) => ({ y: x.cast(to), ...(to === 'f16' ? { back: x.cast('f16').cast('f32') } : {}) }))),
  add: binaryCase('add', ['f32', 'i32'], numGen),
  sub: binaryCase('sub', ['f32', 'i32'], numGen),
  mul: binaryCase('mul', ['f32', 'i32'], numGen),
  div: binaryCase('div', ['f32', 'i32'], (d) => (d === 'f32' ? withSpecials : ints(-9, 9))),
  pow: () => [opCase('pow', {
    a: inp('f32', ['n', 1, 5], [4, 1, 5], (i) => [0, -2, 2.5, NaN, -0.5][i % 5] + (i > 4 ? rand() : 0)),
    c: inp('f32', [3, 5], [3, 5], (i) => [0, 2, -1, 3, 0.5, 1.5, -2, 1][i % 8]),
  }, ({ a, c }) => ({ y: a.pow(c) }))],
  max: binaryCase('max', ['f32', 'i32'], numGen),
  min: binaryCase('min', ['f32', 'i32'], numGen),
  eq: binaryCase('eq', ['f32', 'i32', 'bool', 'u8'], cmpGen),
  ne: binaryCase('ne', ['f32', 'i32', 'bool'], cmpGen),
  lt: binaryCase('lt', ['f32', 'i32', 'bool'], cmpGen),
  le: binaryCase('le', ['f32', 'i32'], cmpGen),
  gt: binaryCase('gt', ['f32', 'i32'], cmpGen),
  ge: binaryCase('ge', ['f32', 'i32'], cmpGen),
  and: binaryCase('and', ['bool'], () => bools),
  or: binaryCase('or', ['bool'], () => bools),
  where: () => [opCase('where', { m: inp('bool', ['n', 1], [6, 1], bools), x: inp('f32', ['n', 5], [6, 5]), z: inp('f32', [5], [5]) },
    ({ m, x, z }) => ({ y: where(m, x, z), masked: where(m, -Infinity, 0) }))],
  reduce_sum: () => [
    opCase('sum axes [1]', { x: inp('f32', ['n', 3, 5], [4, 3, 5]) }, ({ x }) => ({ y: x.sum([1]) })),
    opCase('sum axes [0, 2] keepdims', { x: inp('f32', ['n', 3, 70], [4, 3, 70]) }, ({ x }) => ({ y: x.sum([0, 2], true) })),
    opCase('sum all i32', { x: inp('i32', ['n', 3], [9, 3], ints(-100, 100)) }, ({ x }) => ({ y: x.sum([0, 1]) })),
  ],
  reduce_mean: () => [opCase('mean', { x: inp('f32', ['n', 3, 5], [4, 3, 5]) }, ({ x }) => ({ y: x.mean([-1]), z: x.mean([0, 1], true) }))],
  reduce_max: () => [
    opCase('max with NaN and -inf', { x: inp('f32', ['n', 9], [4, 9], (i) => (i === 3 ? NaN : i >= 9 && i < 18 ? -Infinity : rand())) }, ({ x }) => ({ y: x.max([-1]), z: x.max([0]) })),
    opCase('max i32', { x: inp('i32', [3, 'n'], [3, 7], ints(-100, 100)) }, ({ x }) => ({ y: x.max([1], true) })),
  ],
  argmax: () => [
    opCase('argmax ties and -inf', { x: inp('f32', ['n', 9], [4, 9], (i) => (i < 9 ? -Infinity : i === 12 ? NaN : ints(0, 3)())) }, ({ x }) => ({ y: x.argmax(-1), z: x.argmax(0, true) })),
    opCase('argmax i32', { x: inp('i32', [3, 'n'], [3, 70], ints(-5, 5)) }, ({ x }) => ({ y: x.argmax(1) })),
  ],
  softmax: () => [opCase('softmax masked and large', {
    x: inp('f32', [2, 'n', 70], [2, 3, 70], (i) => (i < 70 ? -Infinity : i < 140 ? (i % 7 ? -Infinity : 1e4) : rand() * 40 - 20)),
  }, ({ x }) => ({ y: x.softmax(-1) })), opCase('softmax odd width', { x: inp('f32', ['n', 5], [3, 5]) }, ({ x }) => ({ y: x.softmax() }))],
  layer_norm: () => [opCase('layer_norm', { x: inp('f32', ['n', 70], [3, 70], () => rand() * 10 + 3) },
    ({ x, w, c }) => ({ y: layerNorm(x, w, c, 1e-5) }), { w: make('f32', [70]), c: make('f32', [70]) })],
  matmul: () => [
    opCase('matmul folded odd', { a: inp('f32', [2, 'n', 7], [2, 5, 7]), c: inp('f32', [7, 6], [7, 6]) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul batched vec4', { a: inp('f32', [2, 3, 'n', 8], [2, 3, 9, 8]), c: inp('f32', [2, 3, 8, 12], [2, 3, 8, 12]) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul transA', { a: inp('f32', [2, 7, 'n'], [2, 7, 5]), c: inp('f32', [7, 6], [7, 6]) }, ({ a, c }) => ({ y: a.matmul(c, { transA: true }) })),
    opCase('matmul transB', { a: inp('f32', ['n', 8], [70, 8]), c: inp('f32', [66, 8], [66, 8]) }, ({ a, c }) => ({ y: a.matmul(c, { transB: true }) })),
    opCase('matmul batch broadcast', { a: inp('f32', [2, 1, 'n', 5], [2, 1, 3, 5]), c: inp('f32', [3, 5, 4], [3, 5, 4]) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul large', { a: inp('f32', ['n', 68], [70, 68]), c: inp('f32', [68, 72], [68, 72]) }, ({ a, c }) => ({ y: a.matmul(c) })),
  ],
  reshape: () => [opCase('reshape', { x: inp('f32', ['n', 6], [4, 6]) }, ({ x }) => ({ y: x.add(1).reshape(['n', 2, 3]), view: x.reshape(['n', 3, 2]) }))],
  transpose: () => [
    opCase('transpose 3d', { x: inp('f32', [2, 'n', 3], [2, 5, 3]) }, ({ x }) => ({ y: x.transpose([1, 0, 2]) })),
    opCase('transpose heads', { x: inp('i32', [2, 3, 'n', 4], [2, 3, 5, 4], ints(-9, 9)) }, ({ x }) => ({ y: x.transpose([0, 2, 1, 3]) })),
  ],
  slice: () => [opCase('slice', { x: inp('f32', ['n', 9], [4, 9]) }, ({ x }) => ({ y: x.slice(1, 2, 4), z: x.slice(0, 0, 'n') }))],
  concat: () => [opCase('concat', { a: inp('f32', ['n', 2], [4, 2]), c: inp('f32', ['n', 3], [4, 3]), d: inp('f32', [2, 'n'], [2, 4]) },
    ({ a, c, d }) => ({ y: concat([a, c, a], 1), z: concat([d, d.mul(2)], 0) }))],
  split: () => [opCase('split', { x: inp('f32', ['n', 7], [4, 7]) }, ({ x }) => {
    const [p, q, r] = split(x, [2, 4, 1], -1);
    return { p, q, r };
  })],
  gather: () => [
    opCase('gather rows', { ids: inp('i32', ['n', 3], [4, 3], ints(0, 10)) }, ({ t, ids }) => ({ y: gather(t, ids, 0) }), { t: make('f32', [11, 6]) }),
    opCase('gather axis 1 i64', { ids: inp('i64', ['n'], [5], ints(0, 8)) }, ({ t, ids }) => ({ y: gather(t, ids, 1) }), { t: make('f32', [4, 9]) }),
  ],
  constant: () => [opCase('constant', { x: inp('f32', ['n', 5], [3, 5]) }, ({ x }, b) => {
    const k = constant(b, make('f32', [5]));
    return { y: x.add(k), k };
  })],
  iota: () => [opCase('iota', { x: inp('f32', ['n', 4], [5, 4]) }, ({ x }, b) => ({
    rows: iota(b, ['n', 4], 0), cols: iota(b, ['n', 4], 1, 'f32').add(x),
  }))],
  scaled_masked_softmax: () => [opCase('scaled_masked_softmax', {
    x: inp('f32', [2, 'n', 6], [2, 4, 6], () => rand() * 2000 - 1000),
    m: inp('f32', ['n', 6], [4, 6], (i) => (i < 6 || i % 5 === 0 ? -Infinity : 0)),
  }, ({ x, m }, b) => ({ y: emit1(b, 'scaled_masked_softmax', [x, m], { scale: 0.5 }), z: emit1(b, 'scaled_masked_softmax', [x], { scale: 2 }) }))],
  add_layer_norm: () => [opCase('add_layer_norm', { x: inp('f32', ['n', 70], [3, 70]), r: inp('f32', [70], [70]) }, ({ x, r, w, c }, b) => {
    const [y, s] = b.emit('add_layer_norm', [x.value, r.value, w.value, c.value], { eps: 1e-5 });
    return { y: new Var(b, y), s: new Var(b, s) };
  }, { w: make('f32', [70]), c: make('f32', [70]) })],
  linear: () => (['none', 'relu', 'gelu', 'gelu_tanh'] as const).map((activation, i) => opCase(`linear ${activation}`, {
    x: inp('f32', [2, 'n', 8], [2, 5, 8]), r: inp('f32', ['n', 6], [5, 6]),
  }, ({ x, r, w, c }, b) => {
    const transB = i % 2 === 0;
    const ops = [x, transB ? w : w.transpose([1, 0]), ...(i !== 1 ? [c] : []), ...(i !== 2 ? [r] : [])];
    return { y: emit1(b, 'linear', ops, { transB, activation, hasBias: i !== 1, hasResidual: i !== 2 }) };
  }, { w: make('f32', [6, 8]), ...(i !== 1 ? { c: make('f32', [6]) } : {}) })), // no bias, no c: no weight left unread
  attention: () => [
    opCase('attention padding mask', {
      q: inp('f32', [2, 3, 'n', 8], [2, 3, 5, 8]), k: inp('f32', [2, 3, 'm', 8], [2, 3, 37, 8]), v: inp('f32', [2, 3, 'm', 4], [2, 3, 37, 4]),
      mask: inp('f32', [2, 1, 1, 'm'], [2, 1, 1, 37], (i) => (i >= 37 || i % 3 === 0 ? -Infinity : 0)),
    }, ({ q, k, v, mask }, b) => ({ y: emit1(b, 'attention', [q, k, v, mask], { scale: 0.35, causal: false }) })),
    opCase('attention causal odd head', {
      q: inp('f32', [3, 'n', 6], [3, 19, 6], () => rand() * 8 - 4), k: inp('f32', [3, 'n', 6], [3, 19, 6]), v: inp('f32', [3, 'n', 5], [3, 19, 5]),
      mask: inp('f32', ['n', 'n'], [19, 19], (i) => (i % 4 === 1 ? -Infinity : 0)),
    }, ({ q, k, v, mask }, b) => ({ y: emit1(b, 'attention', [q, k, v, mask], { scale: 1.5, causal: true }), z: emit1(b, 'attention', [q, k, v], { scale: 0.4, causal: true }) })),
  ],
  fused_elementwise: () => [
    opCase('fused f32', { a: inp('f32', ['n', 5], [4, 5], withSpecials), c: inp('f32', [5], [5]), m: inp('bool', ['n', 1], [4, 1], bools) }, ({ a, c, m }, b) =>
      ({ y: emit1(b, 'fused_elementwise', [a, c, m], { expr: 'where($2, add(mul($0, $1), 0.5), sub(gelu($1), inf))' }) })),
    opCase('fused ints', { a: inp('i32', ['n'], [9], ints(-9, 9)), c: inp('i32', ['n'], [9], ints(-3, 3)), x: inp('f32', ['n'], [9]) }, ({ a, c, x }, b) =>
      ({ y: emit1(b, 'fused_elementwise', [a, c, x], { expr: 'add(cast_f32(mul($0, $1)), $2)' }), z: emit1(b, 'fused_elementwise', [a, c], { expr: 'cast_i32(lt($0, $1))' }) })),
  ],
};
