// Every registered backend against the reference interpreter, on small graphs for every op kind of
// the op table (OP_KINDS: a kind without cases fails here): symbolic dims bound at two different
// values by one executable, odd sizes, broadcasting, -inf masks and fully masked rows, logits near
// ±1e4, NaN and ±inf, integer, bool and cast cases. Code-generating backends run the compiler's
// plan (compileGraph + emit + load) and the raw graph's plan; floats agree to 1e-4, the rest exactly.

import { describe, expect, it } from 'vitest';
import {
  type DType, type Dim, type Graph, GraphBuilder, OP_KINDS, type OpAttrs, type OpKind, type Tensor, Var,
  concat, constant, gather, input, interpret, iota, layerNorm, split, tensor, where,
} from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { type Executable, backendNames, getBackend, isEmitting } from '@smelt/backends';

type Env = { readonly n: number; readonly m: number };
type Gen = (i: number) => number;
interface InputSpec { readonly dtype: DType; readonly shape: readonly Dim[]; readonly gen: Gen }
interface OpCase {
  readonly name: string;
  readonly graph: Graph;
  readonly weights: Map<string, Tensor>;
  inputs(env: Env): Map<string, Tensor>;
}

/** The two bindings every executable runs at. */
const ENVS: readonly Env[] = [{ n: 5, m: 7 }, { n: 2, m: 13 }];

let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const uniform = (lo: number, hi: number): Gen => () => lo + rand() * (hi - lo);
const ints = (lo: number, hi: number): Gen => () => Math.floor(lo + rand() * (hi - lo + 1));
const bools: Gen = () => (rand() < 0.5 ? 1 : 0);
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e4, -1e4, 0.5, -2.5];
const specials: Gen = (i) => (i < SPECIAL.length ? SPECIAL[i] : rand() * 6 - 3);

function make(dtype: DType, shape: readonly number[], gen: Gen = uniform(-2, 2)): Tensor {
  const t = tensor(dtype, shape);
  for (let i = 0; i < t.data.length; i++) {
    if (t.data instanceof BigInt64Array) t.data[i] = BigInt(gen(i));
    else (t.data as Float32Array)[i] = gen(i);
  }
  return t;
}

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

const unary = (op: OpKind, gen: Gen = specials, dtypes: DType[] = ['f32']) => () =>
  dtypes.map((d) => opCase(`${op} ${d}`, { x: inp(d, ['n', 7], d === 'f32' ? gen : ints(-50, 50)) }, ({ x }, b) => ({ y: emit(b, op, [x], {} as never) })));
const binary = (op: OpKind, dtypes: DType[], gen: (d: DType) => Gen) => () =>
  dtypes.map((d) => opCase(`${op} ${d}`, { a: inp(d, ['n', 1, 13], gen(d)), c: inp(d, [3, 13], gen(d)), e: inp(d, ['n', 3, 13], gen(d)) },
    ({ a, c, e }, b) => ({ y: emit(b, op, [a, c], {}), z: emit(b, op, [e, a], {}) })));
const numGen = (d: DType): Gen => (d === 'f32' ? specials : d === 'bool' ? bools : ints(-9, 9));
const cmpGen = (d: DType): Gen => (d === 'f32' ? (i) => (i < 3 ? SPECIAL[i] : ints(-2, 2)(i)) : d === 'bool' ? bools : ints(-2, 2));

const CASES: { readonly [K in OpKind]: () => OpCase[] } = {
  neg: unary('neg', specials, ['f32', 'i32']),
  abs: unary('abs', specials, ['f32', 'i32']),
  exp: unary('exp'),
  log: unary('log', (i) => (i === 0 ? 0 : i === 1 ? Infinity : i === 2 ? -1 : rand() * 9 + 0.01)),
  sqrt: unary('sqrt', (i) => (i === 0 ? 0 : i === 1 ? Infinity : rand() * 9)),
  rsqrt: unary('rsqrt', (i) => (i === 0 ? Infinity : i === 1 ? 0 : rand() * 9 + 0.01)),
  tanh: unary('tanh'),
  erf: unary('erf', (i) => (i < SPECIAL.length ? SPECIAL[i] : rand() * 10 - 5)),
  relu: unary('relu', specials, ['f32', 'i32']),
  sigmoid: unary('sigmoid'),
  sin: unary('sin', uniform(-6, 6)),
  cos: unary('cos', uniform(-6, 6)),
  not: () => [opCase('not', { x: inp('bool', ['n', 3], bools) }, ({ x }) => ({ y: x.not() }))],
  gelu: () => (['none', 'tanh'] as const).map((a) => opCase(`gelu ${a}`, { x: inp('f32', ['n', 7], specials) }, ({ x }) => ({ y: x.gelu(a) }))),
  cast: () => ([['f32', 'i32'], ['f32', 'bool'], ['f32', 'f16'], ['f32', 'u8'], ['f32', 'i64'], ['i32', 'f32'], ['i32', 'bool'], ['bool', 'f32'], ['bool', 'i32'], ['i64', 'f32'], ['u8', 'i32']] as const)
    .map(([from, to]) => opCase(`cast ${from}→${to}`, { x: inp(from, ['n', 4], from === 'f32' ? (i) => (i < 3 ? SPECIAL[i] : rand() * 500 - 250) : from === 'bool' ? bools : ints(0, 200)) },
      ({ x }) => ({ y: x.cast(to), back: to === 'f16' ? x.cast(to).cast('f32') : x.cast(to).cast(to === 'bool' ? 'i32' : to) }))),
  add: binary('add', ['f32', 'i32'], numGen),
  sub: binary('sub', ['f32', 'i32'], numGen),
  mul: binary('mul', ['f32', 'i32'], numGen),
  div: binary('div', ['f32', 'i32'], (d) => (d === 'f32' ? specials : ints(-9, 9))),
  pow: () => [opCase('pow', { a: inp('f32', ['n', 1, 5], (i) => [0, -2, 2.5, NaN, -0.5][i % 5] + (i > 4 ? rand() : 0)), c: inp('f32', [3, 5], (i) => [0, 2, -1, 3, 0.5, 1.5, -2, 1][i % 8]) },
    ({ a, c }) => ({ y: a.pow(c) }))],
  max: binary('max', ['f32', 'i32'], numGen),
  min: binary('min', ['f32', 'i32'], numGen),
  eq: binary('eq', ['f32', 'i32', 'bool', 'u8'], cmpGen),
  ne: binary('ne', ['f32', 'i32', 'bool'], cmpGen),
  lt: binary('lt', ['f32', 'i32'], cmpGen),
  le: binary('le', ['f32', 'i32'], cmpGen),
  gt: binary('gt', ['f32', 'i32'], cmpGen),
  ge: binary('ge', ['f32', 'i32'], cmpGen),
  and: binary('and', ['bool'], () => bools),
  or: binary('or', ['bool'], () => bools),
  where: () => [opCase('where', { c: inp('bool', ['n', 1], bools), x: inp('f32', ['n', 13]), z: inp('f32', [13]), k: inp('i32', ['n', 1], ints(-5, 5)) },
    ({ c, x, z, k }) => ({ y: where(c, x, z), masked: where(c, -Infinity, 0), ints: where(c.not(), k, k.neg()) }))],
  reduce_sum: () => [
    opCase('sum', { x: inp('f32', ['n', 3, 13]) }, ({ x }) => ({ y: x.sum([1]), z: x.sum([0, 2], true), w: x.sum([2]) })),
    opCase('sum i32', { x: inp('i32', ['n', 3], ints(-100, 100)) }, ({ x }) => ({ y: x.sum([0, 1]) })),
  ],
  reduce_mean: () => [opCase('mean', { x: inp('f32', ['n', 3, 5]) }, ({ x }) => ({ y: x.mean([-1]), z: x.mean([0, 1], true) }))],
  reduce_max: () => [opCase('max', { x: inp('f32', ['n', 9], (i) => (i === 3 ? NaN : i >= 9 && i < 18 ? -Infinity : rand())), k: inp('i32', [3, 'n'], ints(-100, 100)) },
    ({ x, k }) => ({ y: x.max([-1]), z: x.max([0]), w: k.max([1], true) }))],
  argmax: () => [opCase('argmax', { x: inp('f32', ['n', 9], (i) => (i < 9 ? -Infinity : i === 12 ? NaN : ints(0, 3)(i))), k: inp('i32', [3, 'm'], ints(-5, 5)) },
    ({ x, k }) => ({ y: x.argmax(-1), z: x.argmax(0, true), w: k.argmax(1) }))],
  softmax: () => [opCase('softmax', { x: inp('f32', [2, 'n', 'm'], (i) => (i < 13 ? -Infinity : i % 11 === 0 ? 1e4 : i % 7 === 0 ? -1e4 : rand() * 40 - 20)) },
    ({ x }) => ({ y: x.softmax(-1) }))],
  layer_norm: () => [opCase('layer_norm', { x: inp('f32', ['n', 13], uniform(3, 13)) }, ({ x, w, c }) => ({ y: layerNorm(x, w, c, 1e-5) }), { w: make('f32', [13]), c: make('f32', [13]) })],
  matmul: () => [
    opCase('matmul odd', { a: inp('f32', [2, 'n', 7]), c: inp('f32', [7, 13]) }, ({ a, c }) => ({ y: a.matmul(c), t: a.matmul(c.mT(), { transB: true }) })),
    opCase('matmul batched', { a: inp('f32', [2, 3, 'n', 8]), c: inp('f32', [2, 3, 8, 'm']) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul transA', { a: inp('f32', [2, 7, 'n']), c: inp('f32', [7, 6]) }, ({ a, c }) => ({ y: a.matmul(c, { transA: true }) })),
    opCase('matmul broadcast batch', { a: inp('f32', [2, 1, 'n', 5]), c: inp('f32', [3, 5, 'm']) }, ({ a, c }) => ({ y: a.matmul(c) })),
    opCase('matmul weight', { a: inp('f32', ['n', 'm', 21]) }, ({ a, w }) => ({ y: a.matmul(w), z: a.matmul(w.mT().mT()).mul(2) }), { w: make('f32', [21, 18]) }),
  ],
  reshape: () => [opCase('reshape', { x: inp('f32', ['n', 6]) }, ({ x }) => ({ y: x.add(1).reshape(['n', 2, 3]), view: x.reshape(['n', 3, 2]) }))],
  transpose: () => [
    opCase('transpose', { x: inp('f32', [2, 'n', 3]), h: inp('i32', [2, 3, 'n', 4], ints(-9, 9)) }, ({ x, h }) => ({ y: x.transpose([1, 0, 2]), z: h.transpose([0, 2, 1, 3]), w: x.transpose([2, 1, 0]) })),
  ],
  slice: () => [opCase('slice', { x: inp('f32', ['n', 9]), y: inp('f32', [3, 'n', 2]) }, ({ x, y }) => ({ a: x.slice(1, 2, 4), b: x.slice(0, 0, 'n'), c: y.slice(2, 1, 1) }))],
  concat: () => [opCase('concat', { a: inp('f32', ['n', 2]), c: inp('f32', ['n', 3]), d: inp('i32', [2, 'n'], ints(0, 9)) },
    ({ a, c, d }) => ({ y: concat([a, c, a], 1), z: concat([d, d.mul(2)], 0) }))],
  split: () => [opCase('split', { x: inp('f32', ['n', 7]) }, ({ x }) => {
    const [p, q, r] = split(x, [2, 4, 1], -1);
    return { p, q, r };
  })],
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
  add_layer_norm: () => [opCase('add_layer_norm', { x: inp('f32', ['n', 13]), r: inp('f32', [13]) }, ({ x, r, w, c }, b) => {
    const [y, s] = b.emit('add_layer_norm', [x.value, r.value, w.value, c.value], { eps: 1e-5 });
    return { y: new Var(b, y), s: new Var(b, s) };
  }, { w: make('f32', [13]), c: make('f32', [13]) })],
  linear: () => (['none', 'relu', 'gelu', 'gelu_tanh'] as const).map((activation, i) => opCase(`linear ${activation}`, {
    x: inp('f32', [2, 'n', 8]), r: inp('f32', ['n', 6]),
  }, ({ x, r, w, c }, b) => {
    const transB = i % 2 === 0;
    const ops = [x, transB ? w : w.transpose([1, 0]), ...(i !== 1 ? [c] : []), ...(i !== 2 ? [r] : [])];
    return { y: emit(b, 'linear', ops, { transB, activation, hasBias: i !== 1, hasResidual: i !== 2 }) };
  }, { w: make('f32', [6, 8]), ...(i !== 1 ? { c: make('f32', [6]) } : {}) })), // no bias, no c: no weight left unread
  attention: () => [
    opCase('attention padding mask', {
      q: inp('f32', [2, 3, 'n', 8]), k: inp('f32', [2, 3, 'm', 8]), v: inp('f32', [2, 3, 'm', 4]),
      mask: inp('f32', [2, 1, 1, 'm'], (i) => (i % 13 === 0 || i % 3 === 0 ? -Infinity : 0)),
    }, ({ q, k, v, mask }, b) => ({ y: emit(b, 'attention', [q, k, v, mask], { scale: 0.35, causal: false }) })),
    opCase('attention causal', {
      q: inp('f32', [3, 'n', 6], uniform(-4, 4)), k: inp('f32', [3, 'n', 6]), v: inp('f32', [3, 'n', 5]),
      mask: inp('f32', ['n', 'n'], (i) => (i % 4 === 1 ? -Infinity : 0)),
    }, ({ q, k, v, mask }, b) => ({ y: emit(b, 'attention', [q, k, v, mask], { scale: 1.5, causal: true }), z: emit(b, 'attention', [q, k, v], { scale: 0.4, causal: true }) })),
  ],
  fused_elementwise: () => [
    opCase('fused f32', { a: inp('f32', ['n', 5], specials), c: inp('f32', [5]), m: inp('bool', ['n', 1], bools) }, ({ a, c, m }, b) =>
      ({ y: emit(b, 'fused_elementwise', [a, c, m], { expr: 'where($2, add(mul($0, $1), 0.5), sub(gelu($1), inf))' }) })),
    opCase('fused ints', { a: inp('i32', ['n'], ints(-9, 9)), c: inp('i32', ['n'], ints(-3, 3)), x: inp('f32', ['n']) }, ({ a, c, x }, b) =>
      ({ y: emit(b, 'fused_elementwise', [a, c, x], { expr: 'add(cast_f32(mul($0, $1)), $2)' }), z: emit(b, 'fused_elementwise', [a, c], { expr: 'cast_i32(lt($0, $1))' }) })),
  ],
};

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

function expectClose(got: Tensor | undefined, want: Tensor, what: string): void {
  expect(got, `${what}: missing`).toBeDefined();
  expect([got!.dtype, got!.shape], `${what}: type`).toEqual([want.dtype, want.shape]);
  const [g, w] = [values(got!), values(want)];
  const float = want.dtype === 'f32';
  for (let i = 0; i < w.length; i++) {
    const ok = Object.is(g[i], w[i]) || g[i] === w[i] || (float && Math.abs(g[i] - w[i]) <= 1e-4 * Math.max(1, Math.abs(w[i])));
    if (!ok) expect.fail(`${what}: element ${i} is ${g[i]}, the interpreter says ${w[i]} (shape [${want.shape}])`);
  }
}

/** The executables a backend makes of a case: its compiler plan and its raw-graph plan. */
async function executables(name: string, c: OpCase): Promise<[string, Executable][]> {
  const backend = getBackend(name);
  if (!isEmitting(backend)) return Promise.all([false, true].map(async (o) => [`optimize ${o}`, await backend.compile(c.graph, c.weights, { optimize: o })] as [string, Executable]));
  const plan = compileGraph(c.graph, { verifyEach: true }).plan;
  return [['compileGraph', await backend.load(backend.emit(plan), c.weights)], ['raw graph', await backend.compile(c.graph, c.weights, { optimize: false })]];
}

const NAMES = backendNames();
const UNAVAILABLE = new Map(await Promise.all(NAMES.map(async (n) => [n, await getBackend(n).unavailableReason()] as const)));

describe.each(NAMES)('backend %s', (name) => {
  const why = UNAVAILABLE.get(name);
  if (why) console.warn(`[backend-suite] skipping ${name}: ${why}`);

  it('has cases for every op kind', () => {
    for (const kind of OP_KINDS) expect(CASES[kind]().length, kind).toBeGreaterThan(0);
  });

  it.skipIf(why !== undefined).each(OP_KINDS.map((k) => [k]))('%s matches the interpreter at two symbol values', async (kind) => {
    for (const c of CASES[kind]()) {
      for (const [how, exe] of await executables(name, c)) {
        try {
          for (const env of ENVS) {
            const inputs = c.inputs(env);
            const want = interpret(c.graph, inputs, c.weights);
            const got = await exe.run(inputs);
            for (const [out, t] of want) expectClose(got.get(out), t, `${c.name} (${how}, n=${env.n}, m=${env.m}) output ${out}`);
          }
        } finally {
          exe.dispose();
        }
      }
    }
  });

  it.skipIf(why !== undefined)('rejects bad inputs like the interpreter', async () => {
    const c = CASES.matmul()[0];
    const [[, exe]] = await executables(name, c);
    const good = c.inputs(ENVS[0]);
    const bad = (k: string, t: Tensor | undefined) => exe.run(new Map([...good].map(([n, v]) => [n, n === k ? t! : v] as [string, Tensor]).filter(([, v]) => v)));
    await expect(bad('a', undefined)).rejects.toThrow(/missing input "a"/);
    await expect(bad('a', make('i32', [2, 5, 7]))).rejects.toThrow(/input "a": expected dtype f32/);
    await expect(bad('a', make('f32', [2, 5, 8]))).rejects.toThrow(/input "a": expected shape \[2, n, 7\], got \[2, 5, 8\]/);
    await expect(bad('c', make('f32', [7, 13, 1]))).rejects.toThrow(/input "c": expected shape/);
    exe.dispose();
    const att = CASES.attention()[1];
    const [[, exe2]] = await executables(name, att);
    const inputs = att.inputs(ENVS[0]);
    inputs.set('k', make('f32', [3, 4, 6]));
    await expect(exe2.run(inputs)).rejects.toThrow(/input "k": expected shape \[3, n, 6\], got \[3, 4, 6\] \(n is already 5\)/);
    exe2.dispose();
  });
});
