// f32 math: exp, log, sqrt, rsqrt, tanh, erf, sin, cos, pow. The reference computes in doubles
// (erf by its series, ops/math.ts). WGSL has most of these built in; JS has all but erf; wasm has
// none but sqrt, so each of the others is a module function on f32x4 lanes: a polynomial after
// range reduction (Cephes-style), accurate to a few f32 ulps (erf and tanh to < 1e-6 absolute),
// with the reference's NaN and ±inf behaviour.

import { erf } from '../math.ts';
import { type ExprOpRecord, F32, type Helper, always, call, sameDType, viaHelper } from './record.ts';
import { type WasmBody, lanes, wasmFn, wasmFunction, wasmInstr } from './wasm.ts';

/**
 * 2^n for integer-valued float lanes n in [-252, 254], as two exactly representable factors. n's
 * integer comes from adding 1.5·2^23, which puts it in the low bits of the sum's significand (exact
 * for |n| < 2^22): two instructions where a saturating conversion is several.
 */
function pow2Split<V>(f: WasmBody<V>, n: V): [V, V] {
  const magic = 0x4b400000; // the bits of 1.5·2^23
  const ni = f.bind('v128', f.op('i32x4.sub', f.op('f32x4.add', n, f.f32x4(1.5 * 2 ** 23)), f.i32x4(magic)));
  const half = f.bind('v128', f.op('i32x4.shr_s', ni, f.i32(1)));
  const scale = (e: V) => f.op('i32x4.shl', f.op('i32x4.add', e, f.i32x4(127)), f.i32(23));
  return [scale(half), scale(f.op('i32x4.sub', ni, half))];
}

export const WASM_EXP = wasmFn('exp', 1, (f) => {
  const v = lanes(f);
  // pmin/pmax are one instruction each where min/max order NaNs and zeros; a NaN x passes through
  // both (89 < NaN and NaN < -104 are false), so exp(NaN) is NaN all the same.
  const xc = f.bind('v128', f.op('f32x4.pmax', f.op('f32x4.pmin', f.params[0], v.k(89)), v.k(-104)));
  const n = f.bind('v128', f.op('f32x4.nearest', v.mul(xc, v.k(Math.LOG2E))));
  const r = f.bind('v128', v.sub(v.sub(xc, v.mul(n, v.k(0.693359375))), v.mul(n, v.k(-2.12194440e-4))));
  const p = v.add(v.add(v.mul(v.horner(r, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]), v.mul(r, r)), r), v.k(1));
  const [s1, s2] = pow2Split(f, n);
  return v.mul(v.mul(p, s1), s2);
});

const WASM_LOG = wasmFn('log', 1, (f) => {
  const v = lanes(f);
  const x = f.params[0];
  const e0 = f.bind('v128', f.op('f32x4.convert_i32x4_s', f.op('i32x4.sub', f.op('i32x4.shr_u', x, f.i32(23)), v.bits(126))));
  const m0 = f.bind('v128', v.or(v.and(x, v.bits(0x007fffff)), v.bits(0x3f000000)));
  const small = f.bind('v128', v.lt(m0, v.k(Math.SQRT1_2)));
  const e = f.bind('v128', v.sub(e0, v.and(small, v.k(1))));
  const m = f.bind('v128', v.sub(v.add(m0, v.and(small, m0)), v.k(1)));
  const z = f.bind('v128', v.mul(m, m));
  const P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
  let y = v.mul(v.mul(m, z), v.horner(m, P));
  y = v.add(v.add(y, v.mul(e, v.k(-2.12194440e-4))), v.mul(z, v.k(-0.5)));
  const r = f.bind('v128', v.add(v.add(m, y), v.mul(e, v.k(0.693359375))));
  let out = v.select(v.eq(x, v.k(0)), v.k(-Infinity), r);
  out = v.select(v.lt(x, v.k(0)), v.bits(0x7fc00000), out);
  out = v.select(v.eq(x, v.k(Infinity)), v.k(Infinity), out);
  return v.select(v.ne(x, x), x, out);
});

export const WASM_TANH = wasmFn('tanh', 1, (f) => {
  const v = lanes(f);
  const x = f.params[0];
  const ax = f.bind('v128', v.abs(x));
  const big = v.sub(v.k(1), v.div(v.k(2), v.add(f.call(WASM_EXP, v.add(ax, ax)), v.k(1))));
  const z = f.bind('v128', v.mul(x, x));
  const small = v.add(x, v.mul(v.mul(x, z), v.horner(z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1])));
  return v.select(v.lt(ax, v.k(0.625)), small, v.or(big, v.and(x, v.bits(0x80000000 | 0))));
});

export const WASM_ERF = wasmFn('erf', 1, (f) => {
  const v = lanes(f);
  const x = f.params[0];
  const ax = f.bind('v128', v.abs(x));
  const t = f.bind('v128', v.div(v.k(1), v.add(v.k(1), v.mul(ax, v.k(0.3275911)))));
  const tail = v.mul(v.horner(t, [1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592, 0]), f.call(WASM_EXP, v.mul(ax, v.mul(ax, v.k(-1)))));
  const big = v.or(v.sub(v.k(1), tail), v.and(x, v.bits(0x80000000 | 0)));
  const z = f.bind('v128', v.mul(x, x));
  const series = [1 / 9360, -1 / 1320, 1 / 216, -1 / 42, 1 / 10, -1 / 3, 1].map((c) => c * (2 / Math.sqrt(Math.PI)));
  return v.select(v.lt(ax, v.k(0.5)), v.mul(x, v.horner(z, series)), big);
});

/** sin (shift 0) or cos (shift 1): quadrant reduction by π/2 in three parts, then a polynomial per half. */
const sinCos = (name: string, shift: number) => wasmFn(name, 1, (f) => {
  const v = lanes(f);
  const q = f.bind('v128', f.op('f32x4.nearest', v.mul(f.params[0], v.k(2 / Math.PI))));
  const r = f.bind('v128', v.sub(v.sub(v.sub(f.params[0], v.mul(q, v.k(1.5703125))), v.mul(q, v.k(4.837512969970703125e-4))), v.mul(q, v.k(7.549789948768648e-8))));
  const z = f.bind('v128', v.mul(r, r));
  const s = v.add(r, v.mul(v.mul(r, z), v.horner(z, [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1])));
  const co = v.add(v.sub(v.k(1), v.mul(z, v.k(0.5))), v.mul(v.mul(z, z), v.horner(z, [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2])));
  const qi = f.bind('v128', f.op('i32x4.add', f.op('i32x4.trunc_sat_f32x4_s', q), v.bits(shift)));
  const swap = f.op('i32x4.eq', v.and(qi, v.bits(1)), v.bits(1));
  const neg = f.op('i32x4.shl', f.op('i32x4.shr_u', v.and(qi, v.bits(2)), f.i32(1)), f.i32(31));
  return v.xor(v.select(swap, co, s), neg);
});

/** a^b with Math.pow's special cases: negative bases need integer exponents (sign by parity), b = 0 gives 1. */
const WASM_POW = wasmFn('pow', 2, (f) => {
  const v = lanes(f);
  const [a, b] = f.params;
  const r = f.bind('v128', f.call(WASM_EXP, v.mul(b, f.call(WASM_LOG, v.abs(a)))));
  const isInt = f.bind('v128', v.eq(f.op('f32x4.trunc', b), b));
  const halfB = f.bind('v128', v.mul(b, v.k(0.5)));
  const odd = v.and(isInt, v.ne(f.op('f32x4.trunc', halfB), halfB));
  const flipped = v.xor(r, v.and(odd, v.and(a, v.bits(0x80000000 | 0))));
  const bad = v.and(v.lt(a, v.k(0)), f.op('v128.not', isInt));
  return v.select(v.eq(b, v.k(0)), v.k(1), v.select(bad, v.bits(0x7fc00000), flipped));
});

export const JS_ERF: Helper = {
  name: 'erf',
  source: `const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf by its Maclaurin series below |x| = 4, ±1 beyond (the interpreter's algorithm). */
function erf(x: number): number {
  if (x !== x) return NaN;
  if (Math.abs(x) >= 4) return Math.sign(x);
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}`,
};

export const WGSL_TANH: Helper = {
  name: 'tanh_f32',
  source: `// tanh saturates to ±1 in f32 beyond |x| = 10; clamping avoids exp overflow inside some drivers' tanh.
fn tanh_f32(x: f32) -> f32 { return select(tanh(clamp(x, -10.0f, 10.0f)), x, is_nan(x)); }`,
};
export const WGSL_ERF: Helper = {
  name: 'erf_f32',
  source: `// erf: Abramowitz & Stegun 7.1.26 on |x| (absolute error < 1.5e-7), ±1 beyond 4 like the reference.
fn erf_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a >= 4.0f) { return sign(x); }
  let t = 1.0f / (1.0f + 0.3275911f * a);
  let poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  return sign(x) * (1.0f - poly * exp(-a * a));
}`,
};
const wgslPow: Helper = {
  name: 'pow_f32',
  source: `// Math.pow: x^0 = 1, negative bases with integral exponents keep their sign, otherwise NaN.
fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0f) { return 1.0f; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  let ax = abs(x);
  var m: f32;
  if (ax == 0.0f) { m = select(f32_bits(0x7f800000u), 0.0f, y > 0.0f); } else { m = pow(ax, y); }
  if (x >= 0.0f) { return m; }
  if (fract(y) != 0.0f) { return nan_f32(); }
  return select(m, -m, fract(y * 0.5f) != 0.0f);
}`,
};

/** The common part of an f32 op's record. */
const f32Op = <A extends 1 | 2>(summary: string, arity: A, fn: (...xs: number[]) => number) => ({ summary, arity, dtype: sameDType(F32), scalar: always(fn) });

export const TRANSCENDENTAL = {
  exp: { ...f32Op('e^x', 1, Math.exp), js: { render: call('Math.exp') }, wgsl: { render: call('exp') }, wasm: wasmFunction(WASM_EXP) },
  log: { ...f32Op('natural logarithm', 1, Math.log), js: { render: call('Math.log') }, wgsl: { render: call('log') }, wasm: wasmFunction(WASM_LOG) },
  sqrt: { ...f32Op('square root', 1, Math.sqrt), js: { render: call('Math.sqrt') }, wgsl: { render: call('sqrt') }, wasm: wasmInstr('f32x4.sqrt', 'f32.sqrt') },
  rsqrt: {
    ...f32Op('1 / sqrt(x)', 1, (x) => 1 / Math.sqrt(x)),
    js: { render: ([a]) => `(1 / Math.sqrt(${a}))` },
    wgsl: { render: call('inverseSqrt') },
    wasm: {
      scalar: (w, [x]) => w.op('f32.div', w.f32(1), w.op('f32.sqrt', x)),
      vector: { render: (w, [x]) => w.op('f32x4.div', w.f32x4(1), w.op('f32x4.sqrt', x)) },
    },
  },
  tanh: { ...f32Op('hyperbolic tangent', 1, Math.tanh), js: { render: call('Math.tanh') }, wgsl: viaHelper(WGSL_TANH), wasm: wasmFunction(WASM_TANH) },
  erf: { ...f32Op('the error function', 1, erf), js: viaHelper(JS_ERF), wgsl: viaHelper(WGSL_ERF), wasm: wasmFunction(WASM_ERF) },
  sin: { ...f32Op('sine', 1, Math.sin), js: { render: call('Math.sin') }, wgsl: { render: call('sin') }, wasm: wasmFunction(sinCos('sin', 0)) },
  cos: { ...f32Op('cosine', 1, Math.cos), js: { render: call('Math.cos') }, wgsl: { render: call('cos') }, wasm: wasmFunction(sinCos('cos', 1)) },
  pow: { ...f32Op('a^b with Math.pow\'s special cases', 2, Math.pow), js: { render: call('Math.pow') }, wgsl: viaHelper(wgslPow), wasm: wasmFunction(WASM_POW) },
} satisfies Record<string, ExprOpRecord>;
