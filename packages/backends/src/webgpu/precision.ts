// The `precision` option. 'f32' (the default): every kernel computes in f32. 'f16': matmul kernels
// (Linear layers and the attention projections, most of a Transformer's arithmetic) multiply in
// half precision with f32 accumulation: each step forms four products of f16 operands and their
// sum in f16 (vec4<f16>), then adds it to an f32 accumulator. Weights that only matmuls read
// (including derived ones, like the split of a cross-attention in_proj_weight) are stored as f16,
// halving their memory and bandwidth; activations stay f32 in memory and are rounded to f16 (values
// beyond ±65504 saturate) as the matmul loads them. Attention, softmax, LayerNorm and elementwise
// kernels stay f32. 'f16' needs the adapter feature shader-f16.

import { type KernelPlan, baseBuffer, kernelReads } from '@smelt/compiler';

export type Precision = 'f32' | 'f16';

export const F16_FEATURE = 'shader-f16';

/** Adapter features a build of this precision needs. */
export function requiredFeatures(precision: Precision = 'f32'): string[] {
  return precision === 'f16' ? [F16_FEATURE] : [];
}

/** Base buffers stored as f16 under precision 'f16': fixed f32 buffers read only as matmul operands A and B. */
export function halfStorage(plan: KernelPlan): Set<number> {
  const base = (id: number) => baseBuffer(plan.buffers, id);
  const half = new Set<number>();
  for (const b of plan.buffers) {
    const kind = b.storage.kind;
    if (b.dtype === 'f32' && (kind === 'weight' || kind === 'constant' || kind === 'derived')) half.add(b.id);
  }
  for (const o of plan.outputs) half.delete(base(o.buffer));
  for (const k of [...plan.prologue, ...plan.kernels]) {
    const operands = k.kind === 'matmul' ? [k.a, k.b] : [];
    for (const r of kernelReads(k)) if (!operands.includes(r) || (k.kind === 'matmul' && k.extras.includes(r))) half.delete(base(r));
  }
  return half;
}
