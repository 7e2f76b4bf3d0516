// Runtime scalar helpers of emitted JS modules (copied verbatim into every module; this file
// must import nothing outside js/runtime/). Same formulas as @smelt/ir's ops/math.ts and dtype.ts,
// so generated kernels compute exactly what the reference interpreter computes.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/** erf by its Maclaurin series below |x| = 4, ±1 beyond (the interpreter's algorithm). */
export function erf(x: number): number {
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
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** relu that maps NaN to 0, as the op table does (Math.max would keep NaN). */
export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** i32 division: truncates toward zero, and x / 0 is 0. */
export function idiv(a: number, b: number): number {
  return b === 0 ? 0 : (a / b) | 0;
}

/** Float to i64: truncate toward zero; NaN and ±inf become 0. */
export function toI64(x: number): bigint {
  return Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const F16_SCRATCH = new Float32Array(1);
const F16_BITS = new Uint32Array(F16_SCRATCH.buffer);

/** f32 to IEEE half bits, rounding to nearest even. */
export function f32ToF16(value: number): number {
  F16_SCRATCH[0] = value;
  const x = F16_BITS[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
