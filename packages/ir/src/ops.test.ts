// Reference evaluation of every op kind in the table on small hand-computed inputs; fused ops
// checked against their unfused meaning; erf and GELU against known values.

import { describe, expect, it } from 'vitest';
import {
  type BinaryKind, type OpAttrs, type OpKind, type Tensor, type TensorType, type UnaryKind,
  OPS, OP_KINDS, erf, formatType, geluErf, geluTanh, hasTrait, opDef, resolveShape, tensor,
} from './index.ts';

type Env = Map<string, number>;

const f32 = (shape: number[], v: number[]) => tensor('f32', shape, Float32Array.from(v));
const i32 = (shape: number[], v: number[]) => tensor('i32', shape, Int32Array.from(v));
const i64 = (shape: number[], v: bigint[]) => tensor('i64', shape, BigInt64Array.from(v));
const f16 = (shape: number[], bits: number[]) => tensor('f16', shape, Uint16Array.from(bits));
const bool = (shape: number[], v: number[]) => tensor('bool', shape, Uint8Array.from(v));
const scalar = (v: number) => f32([], [v]);
const vals = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number>);

/** Elementwise closeness with a relative tolerance; NaN matches NaN, infinities match exactly. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
    if (!ok) expect.fail(`element ${i}: got ${a}, expected ${e} (tol ${tol})`);
  }
}

/** The shape rule on the operand types (or declared symbolic ones), then the reference, which must agree. */
function run<K extends OpKind>(op: K, inputs: Tensor[], attrs: OpAttrs[K], env: Env = new Map(), declared?: TensorType[]): Tensor[] {
  const def = opDef(op);
  const types = def.infer(declared ?? inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })), attrs);
  const out = def.evaluate(inputs, attrs, env);
  expect(out.map(formatType)).toEqual(types.map((t) => formatType({ dtype: t.dtype, shape: resolveShape(t.shape, env) })));
  return out;
}
const run1 = <K extends OpKind>(op: K, inputs: Tensor[], attrs: OpAttrs[K], env?: Env, declared?: TensorType[]): Tensor =>
  run(op, inputs, attrs, env, declared)[0];

const cases: [OpKind, string, () => void][] = [];
const test = (op: OpKind, name: string, fn: () => void) => cases.push([op, name, fn]);

// ---- elementwise unary ----

const UNARY: [UnaryKind, Tensor, number[]][] = [
  ['neg', f32([3], [1, -2, 0]), [-1, 2, -0]],
  ['neg', i32([2], [5, -7]), [-5, 7]],
  ['abs', f32([2], [-1.5, 2]), [1.5, 2]],
  ['abs', i32([2], [-3, 3]), [3, 3]],
  ['exp', f32([2], [0, 1]), [1, Math.E]],
  ['log', f32([3], [1, Math.E, 0]), [0, 1, -Infinity]],
  ['sqrt', f32([2], [4, 9]), [2, 3]],
  ['rsqrt', f32([2], [4, 0.25]), [0.5, 2]],
  ['tanh', f32([2], [0, 1]), [0, 0.7615941559557649]],
  ['erf', f32([2], [0.5, -3]), [0.5204998778130465, -0.9999779095030014]],
  ['relu', f32([3], [-1, 0, 2.5]), [0, 0, 2.5]],
  ['relu', i32([2], [-4, 4]), [0, 4]],
  ['sigmoid', f32([2], [0, 2]), [0.5, 0.8807970779778823]],
  // PyTorch's SiLU, x / (1 + exp(-x)), in float64.
  ['silu', f32([7], [-20, -3, -1, 0, 0.5, 2, 10]), [-4.122307236380407e-08, -0.14227761953270035, -0.2689414213699951, 0, 0.3112296656009273, 1.7615941559557646, 9.999546021312975]],
  ['sin', f32([2], [0, Math.PI / 2]), [0, 1]],
  ['cos', f32([2], [0, Math.PI]), [1, -1]],
  ['not', bool([2], [1, 0]), [0, 1]],
];
for (const [op, x, want] of UNARY) {
  test(op, `${formatType(x)} → ${want.join(', ')}`, () => {
    const y = run1(op, [x], {});
    expect(y.dtype).toBe(x.dtype);
    expectClose(vals(y), want);
  });
}
test('gelu', 'exact and tanh forms at ±1', () => {
  expectClose(vals(run1('gelu', [f32([2], [1, -1])], { approximate: 'none' })), [0.8413447460685429, -0.15865525393145707]);
  expectClose(vals(run1('gelu', [f32([2], [1, -1])], { approximate: 'tanh' })), [0.8411919906082768, -0.15880800939172324]);
});
test('gelu', 'tanh form == PyTorch\'s 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in float64', () => {
  expectClose(vals(run1('gelu', [f32([5], [-3, -0.5, 0.5, 2, 4])], { approximate: 'tanh' })),
    [-0.0036373920817729943, -0.15428599017485606, 0.34571400982514394, 1.954597694087775, 3.9999297540518075]);
});

// ---- elementwise binary: [2, 1, 3] with [4, 1] broadcasts to [2, 4, 3] ----

const A = [0, 1, 2, 3, 4, 5];
const B = [10, 20, 30, 40];
const a3 = f32([2, 1, 3], A);
const b41 = f32([4, 1], B);
const broadcastOf = (fn: (a: number, b: number) => number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) out.push(fn(A[i * 3 + k], B[j]));
  return out;
};
test('add', 'broadcast [2, 1, 3] + [4, 1], written out', () => {
  const y = run1('add', [a3, b41], {});
  expect(y.shape).toEqual([2, 4, 3]);
  expect(vals(y)).toEqual([10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42, 13, 14, 15, 23, 24, 25, 33, 34, 35, 43, 44, 45]);
});
const ARITH: [BinaryKind, (a: number, b: number) => number][] = [
  ['sub', (a, b) => a - b], ['mul', (a, b) => a * b], ['div', (a, b) => a / b],
  ['pow', (a, b) => a ** (b / 10)], ['max', Math.max], ['min', Math.min],
];
for (const [op, fn] of ARITH) {
  test(op, 'broadcast [2, 1, 3] with [4, 1]', () => {
    const b = op === 'pow' ? f32([4, 1], B.map((x) => x / 10)) : b41;
    expectClose(vals(run1(op, [a3, b], {})), broadcastOf(fn));
  });
}
test('max', 'NaN propagates either side', () => expect(vals(run1('max', [f32([2], [NaN, 1]), f32([2], [1, NaN])], {}))).toEqual([NaN, NaN]));
test('min', 'NaN propagates either side', () => expect(vals(run1('min', [f32([2], [NaN, 1]), f32([2], [1, NaN])], {}))).toEqual([NaN, NaN]));
test('div', 'i32 truncates toward zero; x / 0 is 0', () => {
  expect(vals(run1('div', [i32([5], [7, -7, 7, -7, 1]), i32([5], [2, 2, -2, -2, 0])], {}))).toEqual([3, -3, -3, 3, 0]);
});
test('mul', 'i32 wraps like C', () => {
  const y = run1('mul', [i32([3], [65536, 2147483647, -2147483648]), i32([3], [65536, 2, -1])], {});
  expect(y.dtype).toBe('i32');
  expect(vals(y)).toEqual([0, -2, -2147483648]);
});
test('add', 'i32 wraps and is exact above 2^24', () => {
  expect(vals(run1('add', [i32([2], [2147483647, 16777217]), i32([2], [1, 0])], {}))).toEqual([-2147483648, 16777217]);
});
test('sub', 'i32 wraps', () => expect(vals(run1('sub', [i32([1], [-2147483648]), i32([1], [1])], {}))).toEqual([2147483647]));

const CMP: [BinaryKind, number[]][] = [
  ['eq', [0, 1, 0]], ['ne', [1, 0, 1]], ['lt', [1, 0, 0]], ['le', [1, 1, 0]], ['gt', [0, 0, 1]], ['ge', [0, 1, 1]],
];
for (const [op, want] of CMP) {
  test(op, '[1, 2, 3] against [2] gives bool, for f32 and i32', () => {
    for (const make of [f32, i32]) {
      const y = run1(op, [make([3], [1, 2, 3]), make([1], [2])], {});
      expect(y.dtype).toBe('bool');
      expect(vals(y)).toEqual(want);
    }
  });
}
test('and', 'truth table', () => expect(vals(run1('and', [bool([4], [0, 0, 1, 1]), bool([4], [0, 1, 0, 1])], {}))).toEqual([0, 0, 0, 1]));
test('or', 'truth table', () => expect(vals(run1('or', [bool([4], [0, 0, 1, 1]), bool([4], [0, 1, 0, 1])], {}))).toEqual([0, 1, 1, 1]));

test('where', 'cond [2, 1], a [1, 3], b [] broadcast', () => {
  const y = run1('where', [bool([2, 1], [1, 0]), f32([1, 3], [1, 2, 3]), scalar(-1)], {});
  expect(y.shape).toEqual([2, 3]);
  expect(vals(y)).toEqual([1, 2, 3, -1, -1, -1]);
  expect(vals(run1('where', [bool([2], [0, 1]), i32([2], [5, 6]), i32([2], [7, 8])], {}))).toEqual([7, 6]);
});

// ---- cast ----

test('cast', 'f32 → i32 truncates toward zero (NaN and ±inf give 0)', () => {
  const y = run1('cast', [f32([6], [1.7, -1.7, 2.5, -0.5, NaN, Infinity])], { to: 'i32' });
  expect(vals(y)).toEqual([1, -1, 2, 0, 0, 0]);
});
test('cast', 'f32 → f16 rounds to nearest even and overflows to inf; f16 → f32 is exact', () => {
  const h = run1('cast', [f32([6], [1 / 3, 65520, 1e-8, -2, 2 ** -14, 65504])], { to: 'f16' });
  expect(vals(h)).toEqual([0x3555, 0x7c00, 0, 0xc000, 0x0400, 0x7bff]);
  expect(vals(run1('cast', [h], { to: 'f32' }))).toEqual([0.333251953125, Infinity, 0, -2, 2 ** -14, 65504]);
});
test('cast', 'f32 ↔ i64', () => {
  expect(Array.from(run1('cast', [f32([3], [3.9, -3.9, 1e10])], { to: 'i64' }).data as BigInt64Array)).toEqual([3n, -3n, 10000000000n]);
  expect(vals(run1('cast', [i64([2], [5n, -2n])], { to: 'f32' }))).toEqual([5, -2]);
});
test('cast', 'to bool is nonzero (NaN is true, -0 is false); bool → f32 is 0/1', () => {
  expect(vals(run1('cast', [f32([4], [0, -0, 2, NaN])], { to: 'bool' }))).toEqual([0, 0, 1, 1]);
  expect(vals(run1('cast', [bool([2], [1, 0])], { to: 'f32' }))).toEqual([1, 0]);
});

// ---- reductions ----

const x23 = f32([2, 3], [1, 2, 3, 4, 5, 6]);
const REDUCE: [string, () => Tensor, number[], number[]][] = [
  ['reduce_sum axes [1]', () => run1('reduce_sum', [x23], { axes: [1], keepdims: false }), [2], [6, 15]],
  ['reduce_sum axes [-1] keepdims', () => run1('reduce_sum', [x23], { axes: [-1], keepdims: true }), [2, 1], [6, 15]],
  ['reduce_sum axes [0, 1]', () => run1('reduce_sum', [x23], { axes: [0, 1], keepdims: false }), [], [21]],
  ['reduce_sum i32 axes [0]', () => run1('reduce_sum', [i32([2, 3], [1, 2, 3, 4, 5, 6])], { axes: [0], keepdims: false }), [3], [5, 7, 9]],
  ['reduce_sum [2, 2, 2] axes [0, -1]', () => run1('reduce_sum', [f32([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7])], { axes: [0, -1], keepdims: false }), [2], [10, 18]],
  ['reduce_mean axes [-2]', () => run1('reduce_mean', [x23], { axes: [-2], keepdims: false }), [3], [2.5, 3.5, 4.5]],
  ['reduce_mean axes [0, -1] keepdims', () => run1('reduce_mean', [x23], { axes: [0, -1], keepdims: true }), [1, 1], [3.5]],
  ['reduce_max axes [1]', () => run1('reduce_max', [x23], { axes: [1], keepdims: false }), [2], [3, 6]],
  ['reduce_max propagates NaN', () => run1('reduce_max', [f32([3], [1, NaN, 3])], { axes: [0], keepdims: false }), [], [NaN]],
  ['reduce_min axes [1], NaN propagates', () => run1('reduce_min', [f32([2, 3], [4, -2, 3, NaN, 1, 0])], { axes: [1], keepdims: false }), [2], [-2, NaN]],
  ['reduce_min i32 axes [0] keepdims', () => run1('reduce_min', [i32([2, 3], [1, 5, -3, 2, -2, 1])], { axes: [0], keepdims: true }), [1, 3], [1, -2, -3]],
  ['argmax axis -1 takes the first of ties', () => run1('argmax', [f32([2, 3], [1, 3, 3, 2, 2, 1])], { axis: -1, keepdims: false }), [2], [1, 0]],
  ['argmax axis 0 keepdims', () => run1('argmax', [i32([2, 3], [1, 3, 3, 2, 2, 1])], { axis: 0, keepdims: true }), [1, 3], [1, 0, 0]],
];
for (const [name, make, shape, want] of REDUCE) {
  test(name.split(' ')[0] as OpKind, name, () => {
    const y = make();
    expect(y.shape).toEqual(shape);
    expect(vals(y)).toEqual(want);
  });
}

// ---- normalization ----

test('softmax', 'a row, an axis-0 column, a fully masked row, large logits', () => {
  expectClose(vals(run1('softmax', [f32([3], [1, 2, 3])], { axis: -1 })), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219]);
  expectClose(vals(run1('softmax', [f32([2, 2], [1, 0, 1, Math.log(3)])], { axis: 0 })), [0.5, 0.25, 0.5, 0.75]);
  expect(vals(run1('softmax', [f32([2, 2], [-Infinity, -Infinity, 0, -Infinity])], { axis: 1 }))).toEqual([NaN, NaN, 1, 0]);
  const big = vals(run1('softmax', [f32([3], [1000, 1000, 999])], { axis: 0 }));
  const z = 2 * Math.E + 1;
  expectClose(big, [Math.E / z, Math.E / z, 1 / z]);
});

/** LayerNorm of one row by its definition: biased variance, eps inside the square root. */
function layerNormRow(row: number[], w: number[], b: number[], eps: number): number[] {
  const mean = row.reduce((s, x) => s + x, 0) / row.length;
  const variance = row.reduce((s, x) => s + (x - mean) ** 2, 0) / row.length;
  return row.map((x, j) => ((x - mean) / Math.sqrt(variance + eps)) * w[j] + b[j]);
}
const W4 = [1, 2, 0.5, -1];
const B4 = [0, 0.1, 0.2, 0.3];
const X24 = [1, 2, 3, 4, -1, 0, 0, 5];
test('layer_norm', 'matches the formula row by row', () => {
  const unit = run1('layer_norm', [f32([4], [1, 2, 3, 4]), f32([4], [1, 1, 1, 1]), f32([4], [0, 0, 0, 0])], { eps: 0 });
  expectClose(vals(unit), [-1.3416407864998738, -0.4472135954999579, 0.4472135954999579, 1.3416407864998738]);
  const y = run1('layer_norm', [f32([2, 4], X24), f32([4], W4), f32([4], B4)], { eps: 1e-5 });
  expectClose(vals(y), [...layerNormRow(X24.slice(0, 4), W4, B4, 1e-5), ...layerNormRow(X24.slice(4), W4, B4, 1e-5)]);
  const noBias = run1('layer_norm', [f32([2, 4], X24), f32([4], W4)], { eps: 1e-5 });
  expectClose(vals(noBias), [...layerNormRow(X24.slice(0, 4), W4, [0, 0, 0, 0], 1e-5), ...layerNormRow(X24.slice(4), W4, [0, 0, 0, 0], 1e-5)]);
  expect(() => run1('layer_norm', [f32([2, 4], X24), f32([3], [1, 2, 3])], { eps: 1e-5 })).toThrow('weight must be [4] (the row length of x), got f32[2, 4], f32[3]');
});
test('log_softmax', 'x - max - log(sum(exp(x - max))); a fully masked row is NaN', () => {
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  expectClose(vals(run1('log_softmax', [f32([3], [1, 2, 3])], { axis: -1 })), [1 - lse, 2 - lse, 3 - lse]);
  expectClose(vals(run1('log_softmax', [f32([2, 2], [1, 0, 1, Math.log(3)])], { axis: 0 })), [Math.log(0.5), Math.log(0.25), Math.log(0.5), Math.log(0.75)]);
  expect(vals(run1('log_softmax', [f32([2, 2], [-Infinity, -Infinity, 0, -Infinity])], { axis: 1 }))).toEqual([NaN, NaN, 0, -Infinity]);
  expectClose(vals(run1('log_softmax', [f32([2], [1000, -1000])], { axis: 0 })), [0, -2000]);
});
/** RMSNorm of one row by its definition (PyTorch's): x · rsqrt(mean(x²) + eps) · w. */
const rmsNormRow = (row: number[], w: number[], eps: number) => {
  const inv = 1 / Math.sqrt(row.reduce((s, x) => s + x * x, 0) / row.length + eps);
  return row.map((x, j) => x * inv * w[j]);
};
test('rms_norm', 'matches the formula row by row', () => {
  const y = run1('rms_norm', [f32([2, 4], X24), f32([4], W4)], { eps: 1e-6 });
  expectClose(vals(y), [...rmsNormRow(X24.slice(0, 4), W4, 1e-6), ...rmsNormRow(X24.slice(4), W4, 1e-6)]);
  expect(vals(run1('rms_norm', [f32([1, 2], [0, 0]), f32([2], [1, 1])], { eps: 1e-5 }))).toEqual([0, 0]);
});

// ---- matmul: A @ B = M ----

const M = [58, 64, 139, 154];
test('matmul', 'plain and with each transpose flag', () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const aT = f32([3, 2], [1, 4, 2, 5, 3, 6]);
  const b = f32([3, 2], [7, 8, 9, 10, 11, 12]);
  const bT = f32([2, 3], [7, 9, 11, 8, 10, 12]);
  expect(vals(run1('matmul', [a, b], { transA: false, transB: false }))).toEqual(M);
  expect(vals(run1('matmul', [aT, b], { transA: true, transB: false }))).toEqual(M);
  expect(vals(run1('matmul', [a, bT], { transA: false, transB: true }))).toEqual(M);
  expect(vals(run1('matmul', [aT, bT], { transA: true, transB: true }))).toEqual(M);
});
test('matmul', 'batch dims [2, 1] and [3] broadcast to [2, 3]', () => {
  const a = f32([2, 1, 2, 3], [1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12]);
  const b = f32([3, 3, 2], [1, 2, 3].flatMap((s) => [7, 8, 9, 10, 11, 12].map((x) => s * x)));
  const y = run1('matmul', [a, b], { transA: false, transB: false });
  expect(y.shape).toEqual([2, 3, 2, 2]);
  expect(vals(y)).toEqual([1, 2].flatMap((i) => [1, 2, 3].flatMap((j) => M.map((m) => i * j * m))));
});

// ---- movement ----

test('reshape', 'to a shape with a symbol bound at run time', () => {
  const x = f32([2, 3], A);
  const y = run1('reshape', [x], { shape: ['seq', 2] }, new Map([['seq', 3]]), [{ dtype: 'f32', shape: [2, 'seq'] }]);
  expect(y.shape).toEqual([3, 2]);
  expect(vals(y)).toEqual(A);
  expect(() => run('reshape', [x], { shape: ['seq', 2] }, new Map([['seq', 4]]), [{ dtype: 'f32', shape: [2, 'seq'] }]))
    .toThrow('reshape: [2, 3] to [4, 2] changes the element count');
});
test('transpose', '2-D and 3-D permutations', () => {
  expect(vals(run1('transpose', [f32([2, 3], A)], { perm: [1, 0] }))).toEqual([0, 3, 1, 4, 2, 5]);
  const y = run1('transpose', [i32([2, 1, 3], A)], { perm: [2, 0, 1] });
  expect(y.shape).toEqual([3, 2, 1]);
  expect(vals(y)).toEqual([0, 3, 1, 4, 2, 5]);
});
const X34 = Array.from({ length: 12 }, (_, i) => i);
test('slice', 'inner axis, negative axis with a symbolic size, out of range', () => {
  expect(vals(run1('slice', [f32([3, 4], X34)], { axis: 1, start: 1, size: 2 }))).toEqual([1, 2, 5, 6, 9, 10]);
  const rows = run1('slice', [f32([3, 4], X34)], { axis: -2, start: 1, size: 'n' }, new Map([['n', 2]]));
  expect(rows.shape).toEqual([2, 4]);
  expect(vals(rows)).toEqual(X34.slice(4));
  expect(() => run('slice', [f32([3, 4], X34)], { axis: 0, start: 1, size: 'n' }, new Map([['n', 3]])))
    .toThrow('slice: [1, 4) is out of range for dim 3 of [3, 4] (n = 3)');
});
test('dynamic_slice', 'a start read at run time, clamped into [0, len - size]; a non-scalar start or a size past the dim refused', () => {
  const x = f32([3, 4], X34);
  const at = (start: number, size: number | string, axis = 1, env = new Map<string, number>()) => vals(run1('dynamic_slice', [x, i32([], [start])], { axis, size }, env));
  expect(at(1, 2)).toEqual([1, 2, 5, 6, 9, 10]);
  expect(at(9, 2)).toEqual([2, 3, 6, 7, 10, 11]);
  expect(at(-4, 1)).toEqual([0, 4, 8]);
  expect(at(1, 'n', 0, new Map([['n', 2]]))).toEqual(X34.slice(4));
  expect(() => run('dynamic_slice', [x, i32([1], [0])], { axis: 1, size: 2 })).toThrow('the start must be an i32 scalar (shape [])');
  expect(() => run('dynamic_slice', [x, i32([], [0])], { axis: 1, size: 5 })).toThrow('size 5 is larger than dim 4');
  expect(() => run('dynamic_slice', [x, i32([], [0])], { axis: 0, size: 'n' }, new Map([['n', 4]]))).toThrow('dynamic_slice: size 4 is larger than dim 3');
});
test('concat', 'along the inner axis (f32) and the outer axis (i32)', () => {
  expect(vals(run1('concat', [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6])], { axis: -1 }))).toEqual([1, 3, 4, 2, 5, 6]);
  const y = run1('concat', [i32([1, 2], [1, 2]), i32([2, 2], [3, 4, 5, 6])], { axis: 0 });
  expect(y.shape).toEqual([3, 2]);
  expect(vals(y)).toEqual([1, 2, 3, 4, 5, 6]);
});
test('split', 'inner axis pieces and an empty piece', () => {
  const [p, q] = run('split', [f32([2, 5], X34.slice(0, 10))], { axis: -1, sizes: [2, 3] });
  expect(vals(p)).toEqual([0, 1, 5, 6]);
  expect(vals(q)).toEqual([2, 3, 4, 7, 8, 9]);
  const parts = run('split', [f32([2, 2], [1, 2, 3, 4])], { axis: 0, sizes: [1, 0, 1] });
  expect(parts.map((t) => t.shape)).toEqual([[1, 2], [0, 2], [1, 2]]);
  expect(parts.map(vals)).toEqual([[1, 2], [], [3, 4]]);
});
const TABLE = f32([3, 2], [0, 1, 10, 11, 20, 21]);
test('gather', 'i32 and i64 indices, axis 1, out-of-range indices', () => {
  const y = run1('gather', [TABLE, i32([2, 2], [2, 0, 1, 2])], { axis: 0 });
  expect(y.shape).toEqual([2, 2, 2]);
  expect(vals(y)).toEqual([20, 21, 0, 1, 10, 11, 20, 21]);
  expect(vals(run1('gather', [TABLE, i64([2], [2n, 0n])], { axis: 0 }))).toEqual([20, 21, 0, 1]);
  expect(vals(run1('gather', [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2], [2, 0])], { axis: 1 }))).toEqual([3, 1, 6, 4]);
  expect(() => run('gather', [TABLE, i32([2], [1, 3])], { axis: 0 })).toThrow('gather: index 3 at position 1 is out of range [0, 3)');
  expect(() => run('gather', [TABLE, i64([1], [-1n])], { axis: 0 })).toThrow('gather: index -1 at position 0 is out of range [0, 3)');
});

// ---- sources ----

test('constant', 'gives its value', () => {
  expect(vals(run1('constant', [], { value: f32([2], [1.5, -2]) }))).toEqual([1.5, -2]);
  expect(run1('constant', [], { value: bool([1], [1]) }).dtype).toBe('bool');
});
test('iota', 'along each axis, f32 and i32, with a symbolic dim', () => {
  expect(vals(run1('iota', [], { shape: [2, 3], axis: 1, dtype: 'i32' }))).toEqual([0, 1, 2, 0, 1, 2]);
  expect(vals(run1('iota', [], { shape: [2, 3], axis: 0, dtype: 'f32' }))).toEqual([0, 0, 0, 1, 1, 1]);
  expect(vals(run1('iota', [], { shape: ['n', 2], axis: -2, dtype: 'i32' }, new Map([['n', 3]])))).toEqual([0, 0, 1, 1, 2, 2]);
});

// ---- fused ops == their unfused meaning ----

const X = f32([2, 3], [0.5, -1, 2, 3, 0.25, -4]);
const softmaxOf = (s: Tensor) => run1('softmax', [s], { axis: -1 });
test('scaled_masked_softmax', '== softmax(x * c + m), with and without a mask', () => {
  const mask = f32([3], [0, -Infinity, 1]);
  const unfused = softmaxOf(run1('add', [run1('mul', [X, scalar(0.5)], {}), mask], {}));
  expectClose(vals(run1('scaled_masked_softmax', [X, mask], { scale: 0.5 })), vals(unfused));
  expectClose(vals(run1('scaled_masked_softmax', [X], { scale: 3 })), vals(softmaxOf(run1('mul', [X, scalar(3)], {}))));
});
test('add_layer_norm', '== [layer_norm(x + r), x + r]', () => {
  const [x, r, w, b] = [f32([2, 4], X24), f32([4], [0.5, -0.5, 1, 0]), f32([4], W4), f32([4], B4)];
  const [normed, sum] = run('add_layer_norm', [x, r, w, b], { eps: 1e-5 });
  const s = run1('add', [x, r], {});
  expect(vals(sum)).toEqual(vals(s));
  expectClose(vals(normed), vals(run1('layer_norm', [s, w, b], { eps: 1e-5 })));
  const [noBias] = run('add_layer_norm', [x, r, w], { eps: 1e-5 });
  expectClose(vals(noBias), vals(run1('layer_norm', [s, w], { eps: 1e-5 })));
});
test('add_rms_norm', '== [rms_norm(x + r), x + r], the residual broadcast', () => {
  const [x, r, w] = [f32([2, 4], X24), f32([2, 1], [0.5, -2]), f32([4], W4)];
  const [normed, sum] = run('add_rms_norm', [x, r, w], { eps: 1e-5 });
  const s = run1('add', [x, r], {});
  expect(vals(sum)).toEqual(vals(s));
  expectClose(vals(normed), vals(run1('rms_norm', [s, w], { eps: 1e-5 })));
  expect(() => run('add_rms_norm', [x, f32([3], [1, 2, 3]), w], { eps: 1e-5 })).toThrow('residual f32[3] does not broadcast to f32[2, 4]');
});
// Epilogues of linear, each with the same computation op by op (y = x @ wᵀ, b the bias, r the residual).
const LINEAR: [string, (y: Tensor, b: Tensor, r: Tensor) => Tensor, 'b' | 'br' | 'r' | ''][] = [
  ['$0', (y) => y, ''],
  ['add(relu(add($0, $1)), $2)', (y, b, r) => run1('add', [run1('relu', [run1('add', [y, b], {})], {}), r], {}), 'br'],
  ['gelu(add($0, $1))', (y, b) => run1('gelu', [run1('add', [y, b], {})], { approximate: 'none' }), 'b'],
  ['add(gelu_tanh(add($0, $1)), $2)', (y, b, r) => run1('add', [run1('gelu', [run1('add', [y, b], {})], { approximate: 'tanh' }), r], {}), 'br'],
  ['tanh(add($0, $1))', (y, b) => run1('tanh', [run1('add', [y, b], {})], {}), 'b'],
  ['mul($0, $1)', (y, _b, r) => run1('mul', [y, r], {}), 'r'],
];
for (const [epilogue, unfused, extras] of LINEAR) {
  test('linear', `{epilogue = ${epilogue}} == the ops one by one, with w transposed or not`, () => {
    const w = f32([4, 3], [1, -2, 0.5, 0, 1, 1, -1, 0.25, 2, 3, -3, 1]);
    const bias = f32([4], [0.1, -0.2, 0.3, -5]);
    const res = f32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const ops = [...extras].map((e) => (e === 'b' ? bias : res));
    const want = vals(unfused(run1('matmul', [X, w], { transA: false, transB: true }), bias, res));
    expectClose(vals(run1('linear', [X, w, ...ops], { transB: true, epilogue })), want);
    const wPlain = run1('transpose', [w], { perm: [1, 0] });
    expectClose(vals(run1('linear', [X, wPlain, ...ops], { transB: false, epilogue })), want);
  });
}
test('linear', 'rejects an epilogue that is not f32, reads a missing operand, or an operand that does not broadcast', () => {
  const types: TensorType[] = [{ dtype: 'f32', shape: [2, 3] }, { dtype: 'f32', shape: [4, 3] }, { dtype: 'f32', shape: [4] }];
  expect(() => OPS.linear.infer(types, { transB: true, epilogue: 'gt($0, $1)' })).toThrow(/computes bool, not f32/);
  expect(() => OPS.linear.infer(types, { transB: true, epilogue: 'add($0, $2)' })).toThrow(/uses \$2 but has 2 operands/);
  expect(() => OPS.linear.infer([...types.slice(0, 2), { dtype: 'f32', shape: [3] }], { transB: true, epilogue: '$0' })).toThrow(/must be f32 and broadcast to \[2, 4\]/);
});
test('attention', '== softmax(q kᵀ·s + mask, causal) v', () => {
  const q = f32([2, 3, 4], Array.from({ length: 24 }, (_, i) => Math.sin(i)));
  const k = f32([2, 3, 4], Array.from({ length: 24 }, (_, i) => Math.cos(i)));
  const v = f32([2, 3, 2], Array.from({ length: 12 }, (_, i) => i - 6));
  const mask = f32([3, 3], [0, -1, -Infinity, 0, 0, 0, 2, 0, -1]);
  const causal = f32([3, 3], [0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
  const scores = run1('mul', [run1('matmul', [q, k], { transA: false, transB: true }), scalar(0.5)], {});
  for (const isCausal of [false, true]) {
    let s = run1('add', [scores, mask], {});
    if (isCausal) s = run1('add', [s, causal], {});
    const unfused = run1('matmul', [softmaxOf(s), v], { transA: false, transB: false });
    expectClose(vals(run1('attention', [q, k, v, mask], { scale: 0.5, causal: isCausal })), vals(unfused));
  }
  expectClose(vals(run1('attention', [q, k, v], { scale: 0.5, causal: false })),
    vals(run1('matmul', [softmaxOf(scores), v], { transA: false, transB: false })));
});
test('attention', 'grouped-query: kv head g serves query heads g·R … g·R + R - 1; multi-query broadcasts', () => {
  const q = f32([1, 4, 2, 3], Array.from({ length: 24 }, (_, i) => Math.sin(i)));
  const k = f32([1, 2, 2, 3], Array.from({ length: 12 }, (_, i) => Math.cos(i)));
  const v = f32([1, 2, 2, 2], Array.from({ length: 8 }, (_, i) => i - 4));
  const headOf = (t: Tensor, h: number) => run1('slice', [t], { axis: 1, start: h, size: 1 });
  const grouped = run1('attention', [q, k, v], { scale: 0.5, causal: true });
  const mqa = run1('attention', [q, headOf(k, 1), headOf(v, 1)], { scale: 0.5, causal: false });
  for (let h = 0; h < 4; h++) {
    const single = (kvHead: number, causal: boolean) => run1('attention', [headOf(q, h), headOf(k, kvHead), headOf(v, kvHead)], { scale: 0.5, causal });
    expectClose(vals(headOf(grouped, h)), vals(single(h >> 1, true)));
    expectClose(vals(headOf(mqa, h)), vals(single(1, false)));
  }
  const t = (shape: number[]) => ({ dtype: 'f32' as const, shape });
  expect(() => OPS.attention.infer([t([1, 4, 2, 3]), t([1, 3, 2, 3]), t([1, 3, 2, 3])], { scale: 1, causal: false })).toThrow('key heads 3 do not divide the query heads 4');
});
test('attention', 'layout bshd: q, k, v and the result [..., L, H, d] mean bhsd with rows and heads swapped; grouped kv heads; the mask stays [..., H, Lq, Lk]', () => {
  const q = f32([2, 3, 4, 2], Array.from({ length: 48 }, (_, i) => Math.sin(i)));
  const k = f32([2, 5, 2, 2], Array.from({ length: 40 }, (_, i) => Math.cos(i)));
  const v = f32([2, 5, 2, 3], Array.from({ length: 60 }, (_, i) => (i % 7) - 3));
  const mask = f32([4, 1, 5], Array.from({ length: 20 }, (_, i) => (i % 6 === 1 ? -Infinity : i / 10)));
  const swap = (t: Tensor) => run1('transpose', [t], { perm: [0, 2, 1, 3] });
  for (const causal of [false, true]) {
    const bshd = run1('attention', [q, k, v, mask], { scale: 0.7, causal, layout: 'bshd' });
    expect(bshd.shape).toEqual([2, 3, 4, 3]);
    expectClose(vals(bshd), vals(swap(run1('attention', [swap(q), swap(k), swap(v), mask], { scale: 0.7, causal }))));
  }
  // Head 3 of the result reads kv head 1 (4 query heads over 2), at every query row.
  const head = (t: Tensor, h: number) => run1('slice', [t], { axis: 2, start: h, size: 1 });
  const one = run1('attention', [head(q, 3), head(k, 1), head(v, 1)], { scale: 0.7, causal: false, layout: 'bshd' });
  expectClose(vals(head(run1('attention', [q, k, v], { scale: 0.7, causal: false, layout: 'bshd' }), 3)), vals(one));
  const t = (shape: number[]) => ({ dtype: 'f32' as const, shape });
  const bshd = { scale: 1, causal: false, layout: 'bshd' } as const;
  expect(() => OPS.attention.infer([t([1, 2, 4, 3]), t([1, 2, 3, 3]), t([1, 2, 3, 3])], bshd)).toThrow(/layout bshd, .* read as \[\.\.\., H, L, d\]: key heads 3 do not divide the query heads 4/);
  expect(() => OPS.attention.infer([t([2, 3]), t([2, 3]), t([2, 3])], bshd)).toThrow(/layout bshd needs q \[\.\.\., Lq, H, d\].*rank >= 3/);
  expect(() => OPS.attention.infer([t([1, 2, 4, 3]), t([1, 5, 4, 3]), t([1, 5, 4, 2]), t([1, 4, 5, 2])], bshd)).toThrow(/in layout bshd are \[1, 4, 2, 5\]/);
});
const X5 = [1, 2, 3, 4, 5, -1, 0.5, 2, -3, 7];
const C4 = [0.6, 1, -1, 0];
const S4 = [0.8, 0, 0, 1];
test('rope', 'rotates pairs (j, j + H) or (2p, 2p + 1) of the first 2H entries; the rest pass through', () => {
  const [x, c, s] = [f32([2, 5], X5), f32([2, 2], C4), f32([2, 2], S4)];
  const rot = (a: number, b: number, cc: number, ss: number) => [a * cc - b * ss, b * cc + a * ss];
  const half = (r: number, o: number) => {
    const [p0, q0] = rot(X5[o], X5[o + 2], C4[r * 2], S4[r * 2]);
    const [p1, q1] = rot(X5[o + 1], X5[o + 3], C4[r * 2 + 1], S4[r * 2 + 1]);
    return [p0, p1, q0, q1, X5[o + 4]];
  };
  const inter = (r: number, o: number) => [...rot(X5[o], X5[o + 1], C4[r * 2], S4[r * 2]), ...rot(X5[o + 2], X5[o + 3], C4[r * 2 + 1], S4[r * 2 + 1]), X5[o + 4]];
  expectClose(vals(run1('rope', [x, c, s], { interleaved: false })), [...half(0, 0), ...half(1, 5)]);
  expectClose(vals(run1('rope', [x, c, s], { interleaved: true })), [...inter(0, 0), ...inter(1, 5)]);
  expect(() => OPS.rope.infer([{ dtype: 'f32', shape: [2, 3] }, { dtype: 'f32', shape: [2, 2] }, { dtype: 'f32', shape: [2, 2] }], { interleaved: false })).toThrow('the rotary size 2·2 is more than the head size 3');
});
test('pad', 'places x at before[i] in a tensor of value; refuses a negative amount', () => {
  expect(vals(run1('pad', [f32([2, 2], [1, 2, 3, 4])], { before: [1, 0], after: [0, 1], value: 9 }))).toEqual([9, 9, 9, 1, 2, 9, 3, 4, 9]);
  expect(() => OPS.pad.infer([{ dtype: 'f32', shape: [2] }], { before: [-1], after: [0], value: 0 })).toThrow('pad amounts must be >= 0');
});
test('cumsum', 'inclusive, exclusive, reversed; i32 wraps', () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const run = (axis: number, exclusive: boolean, reverse: boolean) => vals(run1('cumsum', [x], { axis, exclusive, reverse }));
  expect(run(1, false, false)).toEqual([1, 3, 6, 4, 9, 15]);
  expect(run(1, true, false)).toEqual([0, 1, 3, 0, 4, 9]);
  expect(run(0, false, true)).toEqual([5, 7, 9, 4, 5, 6]);
  expect(run(-1, true, true)).toEqual([5, 3, 0, 11, 6, 0]);
  expect(vals(run1('cumsum', [i32([2], [2147483647, 1])], { axis: 0, exclusive: false, reverse: false }))).toEqual([2147483647, -2147483648]);
});
test('topk', 'sorted, ties by lower index, NaN as the largest; k past the axis is refused', () => {
  const x = f32([1, 6], [3, NaN, 3, -1, 5, 3]);
  const [v, i] = run('topk', [x], { k: 4, axis: 1, largest: true });
  expect([vals(v), vals(i)]).toEqual([[NaN, 5, 3, 3], [1, 4, 0, 2]]);
  const [sv, si] = run('topk', [x], { k: 3, axis: -1, largest: false });
  expect([vals(sv), vals(si)]).toEqual([[-1, 3, 3], [3, 0, 2]]);
  expect(() => OPS.topk.infer([{ dtype: 'f32', shape: [2, 3] }], { k: 4, axis: 1, largest: true })).toThrow('k = 4 is more than dim 3 of f32[2, 3]');
});
test('conv1d', 'stride, padding, dilation, groups and bias as torch; refuses channels the groups do not divide', () => {
  const x = f32([1, 2, 4], [1, 2, 3, 4, 10, 20, 30, 40]);
  const w = f32([2, 1, 2], [1, -1, 2, 0.5]);
  // groups 2: channel 0 → out 0 with [1, -1], channel 1 → out 1 with [2, 0.5]; padding 1, stride 2: positions -1, 1, 3.
  expect(vals(run1('conv1d', [x, w, f32([2], [0.5, -1])], { stride: 2, padding: 1, dilation: 1, groups: 2 }))).toEqual([-0.5, -0.5, 4.5, 4, 54, 79]);
  expect(() => OPS.conv1d.infer([{ dtype: 'f32', shape: [1, 3, 4] }, { dtype: 'f32', shape: [2, 1, 2] }], { stride: 1, padding: 0, dilation: 1, groups: 2 })).toThrow('groups 2');
});
test('expand', 'broadcasts to a larger shape; refuses a dim that is neither equal nor 1', () => {
  expect(vals(run1('expand', [f32([2, 1], [1, 2])], { shape: [2, 2, 3] }))).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
  expect(() => OPS.expand.infer([{ dtype: 'f32', shape: [2, 3] }], { shape: [4, 3] })).toThrow('cannot expand f32[2, 3] to [4, 3]');
});
test('fused_elementwise', 'add(mul($0, $1), gelu($2)) == the unfused ops, broadcasting', () => {
  const [p, q, r] = [X, f32([3], [2, -1, 0.5]), f32([2, 1], [0.3, -2])];
  const unfused = run1('add', [run1('mul', [p, q], {}), run1('gelu', [r], { approximate: 'none' })], {});
  expect(vals(run1('fused_elementwise', [p, q, r], { expr: 'add(mul($0, $1), gelu($2))' }))).toEqual(vals(unfused));
});
test('fused_elementwise', 'where, comparison with a literal, and casts == the unfused ops', () => {
  const trunc = run1('cast', [run1('cast', [X], { to: 'i32' })], { to: 'f32' });
  const unfused = run1('where', [run1('lt', [X, scalar(0)], {}), run1('neg', [X], {}), trunc], {});
  expect(vals(run1('fused_elementwise', [X], { expr: 'where(lt($0, 0), neg($0), cast_f32(cast_i32($0)))' }))).toEqual(vals(unfused));
});

// Expressions whose dtype semantics differ from f32: the fused kernel must still equal the unfused ops.
const DTYPE_SENSITIVE: [string, string, Tensor[], () => Tensor][] = [
  ['i32 add above 2^24', 'add($0, $1)', [i32([1], [16777217]), i32([1], [0])], () => run1('add', [i32([1], [16777217]), i32([1], [0])], {})],
  ['i32 mul wrap', 'mul($0, $1)', [i32([1], [2147483647]), i32([1], [2])], () => run1('mul', [i32([1], [2147483647]), i32([1], [2])], {})],
  ['i32 div truncates', 'div($0, $1)', [i32([2], [-7, 7]), i32([2], [2, -2])], () => run1('div', [i32([2], [-7, 7]), i32([2], [2, -2])], {})],
  ['cast_i32 of f32', 'cast_i32($0)', [f32([3], [-2.7, NaN, 3.5])], () => run1('cast', [f32([3], [-2.7, NaN, 3.5])], { to: 'i32' })],
];

// f16 and i64 are storage-only: a fused kernel refuses them (the fusion pass never forms one).
const STORAGE_ONLY: [string, string, Tensor[], RegExp][] = [
  ['cast_f16 of f32', 'cast_f16($0)', [f32([2], [1 / 3, 1])], /computes f16, which is storage-only/],
  ['cast_f32 of f16', 'cast_f32($0)', [f16([2], [0x3c00, 0x3555])], /operand \$0 is f16, which is storage-only/],
  ['cast_i64 of f32', 'cast_i64($0)', [f32([1], [3.5])], /computes i64, which is storage-only/],
];
for (const [name, expr, inputs, message] of STORAGE_ONLY) {
  test('fused_elementwise', `${name}: ${expr} is rejected as storage-only`, () => {
    expect(() => OPS.fused_elementwise.infer(inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })), { expr })).toThrow(message);
  });
}
for (const [name, expr, inputs, unfused] of DTYPE_SENSITIVE) {
  test('fused_elementwise', `${name}: ${expr} == the unfused op`, () => {
    const want = unfused();
    const got = run1('fused_elementwise', inputs, { expr });
    expect(got.dtype).toBe(want.dtype);
    expect(Array.from(got.data as ArrayLike<number | bigint>)).toEqual(Array.from(want.data as ArrayLike<number | bigint>));
  });
}

describe('op definitions', () => {
  // Lowering and the fusions read an elementwise node through its expression (isExprNode).
  it.each(OP_KINDS)('%s says which expression it computes exactly when it is elementwise', (kind) => {
    expect(OPS[kind].expr !== undefined).toBe(hasTrait(kind, 'elementwise'));
  });
});

describe('reference evaluation', () => {
  it.each(cases)('%s: %s', (_op, _name, fn) => fn());
  it.each(OP_KINDS)('%s has at least one case', (kind) => expect(cases.some(([op]) => op === kind)).toBe(true));
});

describe('scalar math', () => {
  it.each([
    [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [-3, -0.9999779095030014],
    [0, 0], [-0.5, -0.5204998778130465],
  ])('erf(%d) = %d to 1e-9', (x, want) => expect(Math.abs(erf(x) - want)).toBeLessThanOrEqual(1e-9));
  it('erf saturates to ±1 beyond 4 and keeps NaN', () => {
    expect([erf(5), erf(-10), erf(Infinity)]).toEqual([1, -1, 1]);
    expect(erf(NaN)).toBeNaN();
  });
  it.each([
    [1, 0.8413447460685429], [-1, -0.15865525393145707], [2, 1.9544997361036416], [0, 0],
  ])('geluErf(%d) = x·Φ(x) = %d to 1e-9', (x, want) => expect(Math.abs(geluErf(x) - want)).toBeLessThanOrEqual(1e-9));
  it('geluTanh(1) is the tanh approximation', () => expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 12));
});
