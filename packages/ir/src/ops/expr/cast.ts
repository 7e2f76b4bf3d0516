// Casts, one expression op per target dtype (`cast_f32`, `cast_i32`, …): floats truncate toward zero
// into integers and wrap to their width (NaN and ±inf give 0), integers wrap into narrower ones,
// nonzero is true. Every dtype may be an operand, storage dtypes included: f16 is raw half bits in
// JS (f32 in WGSL and wasm), i64 a bigint in JS (i32 in WGSL, i64 in wasm).

import { DTYPES, type DType } from '../../dtype.ts';
import type { ExprOpRecord, Helper, SourceRule } from './record.ts';
import type { Wasm, WasmRule } from './wasm.ts';

/** What storing a double into a `dtype` array does to it (f32 rounds, i32 wraps, bool is 0/1). */
export function storeAs(dtype: DType): (x: number) => number {
  switch (dtype) {
    case 'f32': return Math.fround;
    case 'i32': return (x) => x | 0;
    case 'u8': return (x) => x & 255;
    case 'bool': return (x) => (x ? 1 : 0);
    default: throw new Error(`${dtype} is storage-only: cast it to f32 or i32 to compute`);
  }
}

/** cast of one scalar value, as castTensor does it (float to integer truncates; NaN and ±inf give 0). */
export function castScalar(to: DType): (x: number) => number {
  if (to === 'f32') return Math.fround;
  if (to === 'bool') return (x) => (x !== 0 ? 1 : 0);
  const store = storeAs(to);
  return (x) => store(Number.isFinite(x) ? Math.trunc(x) : 0);
}

const JS_HELPERS: readonly Helper[] = [
  { name: 'toI64', source: '/** Float to i64: truncate toward zero; NaN and ±inf become 0. */\nfunction toI64(x: number): bigint {\n  return Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;\n}' },
  {
    name: 'f16ToF32',
    source: `function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}`,
  },
  {
    name: 'f32ToF16',
    source: `const F16_SCRATCH = new Float32Array(1);
const F16_BITS = new Uint32Array(F16_SCRATCH.buffer);

/** f32 to IEEE half bits, rounding to nearest even. */
function f32ToF16(value: number): number {
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
}`,
  },
];

const WGSL_HELPERS: readonly Helper[] = [
  {
    name: 'f32_to_i32',
    source: `// Floats truncate toward zero into integers, wrapping modulo 2^32 as a typed-array store does; NaN
// and ±inf give 0. From 2^24 on a float is an integer: its significand shifted by (exponent - 150).
fn f32_to_i32(x: f32) -> i32 {
  let b = bitcast<u32>(x);
  let shift = i32((b >> 23u) & 0xffu) - 150i;
  if (shift < 0i) { return i32(trunc(x)); }
  if (shift >= 32i) { return 0i; }
  let m = ((b & 0x7fffffu) | 0x800000u) << u32(shift);
  return bitcast<i32>(select(m, 0u - m, (b & 0x80000000u) != 0u));
}`,
  },
  {
    name: 'round_f16',
    source: `// Round an f32 to the nearest half-precision value, ties to even (storage dtype f16). Done on bits:
// compilers fold unpack2x16float(pack2x16float(x)) back to x.
fn round_f16(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let a = b & 0x7fffffffu;
  let sign = b & 0x80000000u;
  if (a >= 0x7f800000u) { return x; }
  if (a >= 0x477ff000u) { return bitcast<f32>(sign | 0x7f800000u); }
  if (a < 0x38800000u) { return bitcast<f32>(sign | bitcast<u32>(round(abs(x) * 16777216.0f) / 16777216.0f)); }
  return bitcast<f32>(sign | ((a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u));
}`,
  },
];

/** How a dtype's values read as JS numbers: f16 as its raw bits, i64 as bigint, the rest as numbers. */
const jsNumber = (x: string, from: DType): string => (from === 'f16' ? `f16ToF32(${x})` : from === 'i64' ? `Number(${x})` : x);

function jsCast(to: DType): SourceRule['render'] {
  return ([x], [from]) => {
    if (from === to) return x;
    if (to === 'bool') return from === 'i64' ? `(${x} !== 0n ? 1 : 0)` : from === 'f16' ? `((${x} & 0x7fff) !== 0 ? 1 : 0)` : `(${x} !== 0 ? 1 : 0)`;
    if (to === 'i64') return from === 'f32' || from === 'f16' ? `toI64(${jsNumber(x, from)})` : `BigInt(${x})`;
    const v = jsNumber(x, from);
    switch (to) {
      case 'f32': return from === 'f16' ? v : `Math.fround(${v})`;
      case 'f16': return `f32ToF16(${v})`;
      case 'i32': return `(${v} | 0)`;
      case 'u8': return `(${v} & 255)`;
      default: return to satisfies never;
    }
  };
}

/** The WGSL value a dtype computes as: f32 (f16 too), bool, or i32 (i64 and u8 too). */
const wgslValue = (d: DType): 'f32' | 'i32' | 'bool' => (d === 'f32' || d === 'f16' ? 'f32' : d === 'bool' ? 'bool' : 'i32');

function wgslCast(to: DType): SourceRule['render'] {
  return ([v], [dtype]) => {
    const from = wgslValue(dtype);
    if (to === 'bool') return from === 'bool' ? v : from === 'f32' ? `(${v} != 0.0f || is_nan(${v}))` : `(${v} != 0i)`;
    if (wgslValue(to) === 'f32') {
      const f = from === 'f32' ? v : from === 'i32' ? `f32(${v})` : `select(0.0f, 1.0f, ${v})`;
      return to === 'f16' ? `round_f16(${f})` : f;
    }
    const i = from === 'f32' ? `f32_to_i32(${v})` : from === 'i32' ? v : `select(0i, 1i, ${v})`;
    return to === 'u8' ? `(${i} & 255i)` : i;
  };
}

/** The wasm type scalar code computes a dtype in. */
const wasmValue = (d: DType): 'f32' | 'i32' | 'i64' => (d === 'f32' || d === 'f16' ? 'f32' : d === 'i64' ? 'i64' : 'i32');

/**
 * Float to integer as castTensor does it: truncate toward zero, then wrap modulo 2³² (2⁶⁴ for i64)
 * as a typed-array store does; NaN and ±inf give 0. Below 2²⁴ the float truncates exactly; from
 * there on it is an integer, its 24-bit significand shifted left by (exponent - 150), so the wrapped
 * value is that shift done in the integer width (0 once the shift passes the width; NaN and ±inf
 * have exponent 255, so they land there too).
 */
const truncToInt = <V>(w: Wasm<V>, x: V, to: 'i32' | 'i64'): V => w.share('f32', x, (v) => w.share('i32', w.op('i32.reinterpret_f32', v), (bits) => {
  const biased = w.op('i32.and', w.op('i32.shr_u', bits, w.i32(23)), w.i32(255));
  return w.share('i32', w.op('i32.sub', biased, w.i32(150)), (shift) => {
    const significand = w.op('i32.or', w.op('i32.and', bits, w.i32(0x7fffff)), w.i32(0x800000));
    const negative = w.op('i32.lt_s', bits, w.i32(0));
    const integral = w.op('i32.ge_s', shift, w.i32(0));
    if (to === 'i32') {
      const shifted = w.op('select', w.op('i32.shl', significand, shift), w.i32(0), w.op('i32.lt_u', shift, w.i32(32)));
      const wrapped = w.share('i32', shifted, (m) => w.op('select', w.op('i32.sub', w.i32(0), m), m, negative));
      return w.op('select', wrapped, w.op('i32.trunc_sat_f32_s', v), integral);
    }
    const shifted = w.op('select', w.op('i64.shl', w.op('i64.extend_i32_u', significand), w.op('i64.extend_i32_u', shift)), w.i64(0n), w.op('i32.lt_u', shift, w.i32(64)));
    const wrapped = w.share('i64', shifted, (m) => w.op('select', w.op('i64.sub', w.i64(0n), m), m, negative));
    return w.op('select', wrapped, w.op('i64.trunc_sat_f32_s', v), integral);
  });
}));

function wasmCast(to: DType): WasmRule {
  const maskOrF32 = (types: readonly DType[]) => types[0] === 'bool' || types[0] === 'f32';
  return {
    scalar: (w, [x], [from]) => {
      const src = wasmValue(from);
      if (to === 'bool') return src === 'f32' ? w.op('f32.ne', x, w.f32(0)) : src === 'i64' ? w.op('i32.eqz', w.op('i64.eqz', x)) : w.op('i32.ne', x, w.i32(0));
      const dst = wasmValue(to);
      if (dst === 'f32') return src === 'f32' ? x : w.op(src === 'i64' ? 'f32.convert_i64_s' : 'f32.convert_i32_s', x);
      if (src === 'f32') return truncToInt(w, x, dst);
      if (src === dst) return x;
      return w.op(dst === 'i64' ? 'i64.extend_i32_s' : 'i32.wrap_i64', x);
    },
    // Vectors hold f32 lanes and bool masks only: casts between those two.
    ...(to === 'bool' ? { vector: { accepts: maskOrF32, render: (w, [x], [from]) => (from === 'bool' ? x : w.op('f32x4.ne', x, w.f32x4(0))) } }
      : to === 'f32' ? { vector: { accepts: maskOrF32, render: (w, [x], [from]) => (from === 'bool' ? w.op('v128.and', x, w.f32x4(1)) : x) } }
        : {}),
  };
}

function castRecord(to: DType): ExprOpRecord {
  return {
    summary: `convert to ${to}`,
    arity: 1,
    dtype: () => to,
    scalar: () => castScalar(to),
    js: { render: jsCast(to), helpers: JS_HELPERS, exact: true },
    wgsl: { render: wgslCast(to), helpers: WGSL_HELPERS },
    wasm: wasmCast(to),
  };
}

export type CastOp = `cast_${DType}`;

export const CASTS = Object.fromEntries(DTYPES.map((d) => [`cast_${d}`, castRecord(d)])) as { readonly [K in CastOp]: ExprOpRecord };

export const castOp = (to: DType): CastOp => `cast_${to}`;
