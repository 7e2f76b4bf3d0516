// Row kernels of the reference interpreter: softmax along an axis and LayerNorm over the
// last axis, written once and reused by the fused ops (scaled_masked_softmax, add_layer_norm).

import { numel } from '../tensor.ts';

/** In-place softmax over `len`-long rows of a Float64Array scratch, stored into `out` (f32). */
export function softmaxRows(x: Float64Array, out: Float32Array, outer: number, len: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * len + j) * inner + i;
      let max = -Infinity;
      for (let j = 0; j < len; j++) if (x[at(j)] > max) max = x[at(j)];
      let sum = 0;
      for (let j = 0; j < len; j++) {
        const e = max === -Infinity ? 0 : Math.exp(x[at(j)] - max);
        x[at(j)] = e;
        sum += e;
      }
      // A row masked everywhere has no probability mass: NaN, as PyTorch gives.
      for (let j = 0; j < len; j++) out[at(j)] = sum === 0 ? NaN : x[at(j)] / sum;
    }
  }
}

/** LayerNorm of each last-axis row: (x - mean) / sqrt(var + eps) * w + b, biased variance. */
export function layerNormRows(
  x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, eps: number, out: Float32Array, width: number,
): void {
  const rows = width === 0 ? 0 : x.length / width;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let mean = 0;
    for (let j = 0; j < width; j++) mean += x[base + j];
    mean /= width;
    let v = 0;
    for (let j = 0; j < width; j++) {
      const d = x[base + j] - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / width + eps);
    for (let j = 0; j < width; j++) out[base + j] = (x[base + j] - mean) * inv * w[j] + b[j];
  }
}

export function splitAround(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  return { outer: numel(shape.slice(0, axis)), len: shape[axis], inner: numel(shape.slice(axis + 1)) };
}
