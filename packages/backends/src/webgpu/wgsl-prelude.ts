// WGSL helper functions shared by every generated kernel: the base the kernels and the op records
// write with (NaN and finiteness tests on bits, because a compiler may fold `x != x`; NaN from bits),
// then the helpers of the expression-op records (@smelt/ir ops/expr/: erf, pow of negative bases,
// truncating integer division, half-precision rounding, …), each mirroring the reference semantics.

import { targetHelpers } from '@smelt/ir';

const BASE = `
fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn nan_f32() -> f32 { return f32_bits(0x7fc00000u); }
`;

export const WGSL_PRELUDE = `${BASE}${targetHelpers('wgsl').map((h) => h.source).join('\n')}
`;

// Helpers of precision f16 (precision.ts): an f32 → f16 conversion of a value outside the half
// range is undefined in WGSL, so values saturate to ±65504 first. clamp of NaN is undefined too
// (lavapipe gives a finite number), so a NaN is converted as is (IEEE: NaN): a NaN activation (an
// attention row whose keys are all masked) stays NaN through an f16 matmul, as under f32.
export const WGSL_F16_PRELUDE = `
fn to_f16(x: f32) -> f16 { return select(f16(clamp(x, -65504.0f, 65504.0f)), f16(x), is_nan(x)); }
fn to_f16x4(v: vec4<f32>) -> vec4<f16> { return vec4<f16>(to_f16(v.x), to_f16(v.y), to_f16(v.z), to_f16(v.w)); }
`;
