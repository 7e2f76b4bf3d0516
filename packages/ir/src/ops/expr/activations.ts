// Activation functions: sigmoid, SiLU, and GELU in its two forms (exact with erf, and PyTorch's
// tanh approximation), each a graph op of its own name except the GELUs, which the graph writes as
// gelu {approximate} (ops/elementwise.ts).

import { geluErf, geluTanh, sigmoid } from '../math.ts';
import { type ExprOpRecord, F32, always, helper, sameDType, viaHelper } from './record.ts';
import { JS_ERF, WASM_ERF, WASM_EXP, WASM_TANH, WGSL_ERF, WGSL_TANH } from './transcendental.ts';
import { lanes, wasmFn, wasmFunction } from './wasm.ts';

export const ACTIVATIONS = {
  sigmoid: {
    summary: 'logistic function 1 / (1 + e^-x)', arity: 1, dtype: sameDType(F32), scalar: always(sigmoid),
    js: viaHelper(helper('sigmoid', 'function sigmoid(x: number): number {\n  return 1 / (1 + Math.exp(-x));\n}')),
    wgsl: viaHelper(helper('sigmoid_f32', 'fn sigmoid_f32(x: f32) -> f32 { return 1.0f / (1.0f + exp(-x)); }')),
    wasm: wasmFunction(wasmFn('sigmoid', 1, (f) => {
      const v = lanes(f);
      return v.div(v.k(1), v.add(v.k(1), f.call(WASM_EXP, f.op('f32x4.neg', f.params[0]))));
    })),
  },
  silu: {
    summary: 'x·sigmoid(x) = x / (1 + e^-x) (PyTorch SiLU, a.k.a. swish)', arity: 1, dtype: sameDType(F32), scalar: always((x) => x / (1 + Math.exp(-x))),
    js: viaHelper(helper('silu', 'function silu(x: number): number {\n  return x / (1 + Math.exp(-x));\n}')),
    wgsl: viaHelper(helper('silu_f32', 'fn silu_f32(x: f32) -> f32 { return x / (1.0f + exp(-x)); }')),
    wasm: wasmFunction(wasmFn('silu', 1, (f) => {
      const v = lanes(f);
      const x = f.params[0];
      return v.div(x, v.add(v.k(1), f.call(WASM_EXP, f.op('f32x4.neg', x))));
    })),
  },
} satisfies Record<string, ExprOpRecord>;

/** The expressions of gelu {approximate = "none"} and {approximate = "tanh"}. */
export const GELU_FORMS = {
  gelu: {
    summary: 'x·Φ(x), with Φ by erf (PyTorch gelu, approximate="none")', arity: 1, dtype: sameDType(F32), scalar: always(geluErf),
    js: viaHelper(helper('gelu', 'function gelu(x: number): number {\n  return 0.5 * x * (1 + erf(x / Math.SQRT2));\n}', [JS_ERF])),
    wgsl: viaHelper(helper('gelu_f32', 'fn gelu_f32(x: f32) -> f32 { return 0.5f * x * (1.0f + erf_f32(x * 0.70710678118654752f)); }', [WGSL_ERF])),
    wasm: wasmFunction(wasmFn('gelu', 1, (f) => {
      const v = lanes(f);
      const x = f.params[0];
      return v.mul(v.mul(x, v.k(0.5)), v.add(v.k(1), f.call(WASM_ERF, v.mul(x, v.k(Math.SQRT1_2)))));
    })),
  },
  gelu_tanh: {
    summary: '0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch gelu, approximate="tanh")', arity: 1, dtype: sameDType(F32), scalar: always(geluTanh),
    js: viaHelper(helper('geluTanh', 'const GELU_TANH_C = Math.sqrt(2 / Math.PI);\n\nfunction geluTanh(x: number): number {\n  return 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));\n}')),
    wgsl: viaHelper(helper('gelu_tanh_f32', 'fn gelu_tanh_f32(x: f32) -> f32 {\n  return 0.5f * x * (1.0f + tanh_f32(0.7978845608028654f * (x + 0.044715f * x * x * x)));\n}', [WGSL_TANH])),
    wasm: wasmFunction(wasmFn('gelu_tanh', 1, (f) => {
      const v = lanes(f);
      const x = f.params[0];
      const inner = v.mul(v.k(Math.sqrt(2 / Math.PI)), v.add(x, v.mul(v.k(0.044715), v.mul(x, v.mul(x, x)))));
      return v.mul(v.mul(x, v.k(0.5)), v.add(v.k(1), f.call(WASM_TANH, inner)));
    })),
  },
} satisfies Record<string, ExprOpRecord>;
