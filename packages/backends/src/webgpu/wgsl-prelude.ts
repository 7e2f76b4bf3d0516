// WGSL helper functions shared by every generated kernel: the scalar math the op table defines but
// WGSL lacks or leaves undefined (erf, NaN tests, pow of negative bases, saturating tanh,
// truncating integer division, half-precision rounding). Each mirrors ir/ops semantics so the GPU
// agrees with the reference interpreter; NaN tests use bits because a compiler may fold `x != x`.

export const WGSL_PRELUDE = `
fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn nan_f32() -> f32 { return f32_bits(0x7fc00000u); }
fn max_f32(a: f32, b: f32) -> f32 { return select(max(a, b), nan_f32(), is_nan(a) || is_nan(b)); }
fn min_f32(a: f32, b: f32) -> f32 { return select(min(a, b), nan_f32(), is_nan(a) || is_nan(b)); }
fn relu_f32(x: f32) -> f32 { return select(0.0f, x, x > 0.0f); }
fn relu_i32(x: i32) -> i32 { return select(0i, x, x > 0i); }
// tanh saturates to ±1 in f32 beyond |x| = 10; clamping avoids exp overflow inside some drivers' tanh.
fn tanh_f32(x: f32) -> f32 { return select(tanh(clamp(x, -10.0f, 10.0f)), x, is_nan(x)); }
fn sigmoid_f32(x: f32) -> f32 { return 1.0f / (1.0f + exp(-x)); }
// erf: Abramowitz & Stegun 7.1.26 on |x| (absolute error < 1.5e-7), ±1 beyond 4 like ir/ops/math.ts.
fn erf_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a >= 4.0f) { return sign(x); }
  let t = 1.0f / (1.0f + 0.3275911f * a);
  let poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  return sign(x) * (1.0f - poly * exp(-a * a));
}
fn gelu_f32(x: f32) -> f32 { return 0.5f * x * (1.0f + erf_f32(x * 0.70710678118654752f)); }
fn gelu_tanh_f32(x: f32) -> f32 {
  return 0.5f * x * (1.0f + tanh_f32(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}
// Math.pow: x^0 = 1, negative bases with integral exponents keep their sign, otherwise NaN.
fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0f) { return 1.0f; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  let ax = abs(x);
  var m: f32;
  if (ax == 0.0f) { m = select(f32_bits(0x7f800000u), 0.0f, y > 0.0f); } else { m = pow(ax, y); }
  if (x >= 0.0f) { return m; }
  if (fract(y) != 0.0f) { return nan_f32(); }
  return select(m, -m, fract(y * 0.5f) != 0.0f);
}
// C-style division; a zero divisor gives 0 (ir/ops/elementwise.ts), INT_MIN / -1 wraps.
fn div_i32(a: i32, b: i32) -> i32 {
  if (b == 0i) { return 0i; }
  if (b == -1i) { return 0i - a; }
  return a / b;
}
// Floats truncate toward zero into integers; NaN and ±inf give 0.
fn f32_to_i32(x: f32) -> i32 { return select(0i, i32(trunc(x)), is_finite(x)); }
// Round an f32 to the nearest half-precision value, ties to even (storage dtype f16). Done on bits:
// compilers fold unpack2x16float(pack2x16float(x)) back to x.
fn round_f16(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let a = b & 0x7fffffffu;
  let sign = b & 0x80000000u;
  if (a >= 0x7f800000u) { return x; }
  if (a >= 0x477ff000u) { return bitcast<f32>(sign | 0x7f800000u); }
  if (a < 0x38800000u) { return bitcast<f32>(sign | bitcast<u32>(round(abs(x) * 16777216.0f) / 16777216.0f)); }
  return bitcast<f32>(sign | ((a + 0xfffu + ((a >> 13u) & 1u)) & 0xffffe000u));
}
`;

// Helpers of precision f16 (precision.ts): an f32 → f16 conversion of a value outside the half
// range is undefined in WGSL, so values saturate to ±65504 first.
export const WGSL_F16_PRELUDE = `
fn to_f16(x: f32) -> f16 { return f16(clamp(x, -65504.0f, 65504.0f)); }
fn to_f16x4(v: vec4<f32>) -> vec4<f16> { return vec4<f16>(clamp(v, vec4<f32>(-65504.0f), vec4<f32>(65504.0f))); }
`;
