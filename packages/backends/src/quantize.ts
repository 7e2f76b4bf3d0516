// Quantized weight values, the one definition every backend uses (the formats are in
// docs/FORMATS.md, "Quantized weights"). int8: symmetric, one scale per output channel,
// s = f32(max |w| / 127) over the channel's reduction axis, q = round(w / s) (half away from zero)
// clamped to ±127, w ≈ f32(q · s); a channel of zeros has s = 0. f16: IEEE half, nearest even.
// Backends that dequantize in their kernels (wasm, webgpu) store q and s (or the halves) and multiply
// in registers; the js backend and the interpreter take `dequantizedWeights`: the same values,
// round-tripped to f32 on load. Which weights: compiler/src/plan/quantized.ts.

import { type KernelPlan, type WeightsDType, WEIGHTS_DTYPES, quantizedWeights } from '@smelt/compiler';
import { type Tensor, f16BitsToF32, f32ToF16Bits } from '@smelt/ir';
import { BackendError, type TensorInputs } from './backend.ts';

export const F16_MAX = 65504;

/** The `weightsDtype` option, checked: undefined is f32; anything else not listed is an error naming it. */
export function weightsDtypeOf(value: unknown): WeightsDType {
  if (value === undefined) return 'f32';
  if (typeof value === 'string' && (WEIGHTS_DTYPES as readonly string[]).includes(value)) return value as WeightsDType;
  throw new BackendError(`weightsDtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** A matrix viewed as channels × k: element (c, i) at c·cStride + i·kStride. */
export interface Channels {
  readonly channels: number;
  readonly k: number;
  readonly cStride: number;
  readonly kStride: number;
}

/** A rank-r matrix (leading dims 1) with its reduction axis kAxis (r-1 or r-2). */
export function channelsOf(shape: readonly number[], kAxis: number): Channels {
  const [rows, cols] = shape.slice(-2);
  return kAxis === shape.length - 1 ? { channels: rows, k: cols, cStride: cols, kStride: 1 } : { channels: cols, k: rows, cStride: 1, kStride: cols };
}

/** Refuse a value the dtype cannot hold, naming the weight. */
function checkValue(name: string, dtype: WeightsDType, v: number): void {
  if (!Number.isFinite(v)) throw new BackendError(`weight "${name}": ${v} cannot be stored as ${dtype} (weightsDtype ${dtype} needs finite weights)`);
  if (dtype === 'f16' && Math.abs(v) > F16_MAX) throw new BackendError(`weight "${name}": ${v} is beyond ±${F16_MAX}, it would be infinite as f16`);
}

/** Per-channel int8 scales of a matrix. */
export function int8Scales(name: string, data: Float32Array, c: Channels): Float32Array {
  const scales = new Float32Array(c.channels);
  for (let ch = 0; ch < c.channels; ch++) {
    let max = 0;
    for (let i = 0; i < c.k; i++) {
      const v = data[ch * c.cStride + i * c.kStride];
      checkValue(name, 'int8', v);
      max = Math.max(max, Math.abs(v));
    }
    scales[ch] = max / 127;
  }
  return scales;
}

/** q = round(w / s), half away from zero, clamped to ±127; 0 where s is 0. */
export function quantizeInt8(w: number, s: number): number {
  if (s === 0) return 0;
  const q = Math.sign(w) * Math.round(Math.abs(w / s));
  return Math.max(-127, Math.min(127, q));
}

/** f16 bits of a weight value, refusing one beyond the half range. */
export function halfOf(name: string, w: number): number {
  checkValue(name, 'f16', w);
  return f32ToF16Bits(w);
}

/** The f32 values a quantized matrix stands for (what the dequantizing kernels multiply with). */
export function dequantized(name: string, t: Tensor, kAxis: number, dtype: WeightsDType): Tensor {
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  if (dtype === 'f16') {
    src.forEach((w, i) => { out[i] = f16BitsToF32(halfOf(name, w)); });
  } else if (dtype === 'int8') {
    const c = channelsOf(t.shape, kAxis);
    const scales = int8Scales(name, src, c);
    for (let ch = 0; ch < c.channels; ch++) {
      for (let i = 0; i < c.k; i++) {
        const at = ch * c.cStride + i * c.kStride;
        out[at] = Math.fround(quantizeInt8(src[at], scales[ch]) * scales[ch]);
      }
    }
  } else {
    out.set(src);
  }
  return { dtype: 'f32', shape: [...t.shape], data: out };
}

/**
 * Dequantize on load: the weights with every quantized one replaced by the f32 values its
 * quantized form stands for. The js backend and the interpreter run these (they are the oracles).
 */
export function dequantizedWeights(plan: KernelPlan, weights: TensorInputs, dtype: WeightsDType): TensorInputs {
  if (dtype === 'f32') return weights;
  const out = new Map(weights);
  for (const [name, { kAxis }] of quantizedWeights(plan).weights) {
    const t = weights.get(name);
    if (t && t.dtype === 'f32') out.set(name, dequantized(name, t, kAxis, dtype));
  }
  return out;
}
