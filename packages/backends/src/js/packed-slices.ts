// Which derived buffers of a plan the JS module never needs to compute: a prologue slice of a
// weight or constant that is one contiguous run of it (all dims before the sliced axis are 1, as a
// split of a merged projection's weight along its rows) and that no kernel reads except as the B of
// a matmul, which packs its B at load anyway. The module packs such a B straight from the source
// at the run's offset (packWeight's `at`), so the slice is neither copied nor allocated.

import { type KernelPlan, baseBuffer, kernelReads } from '@smelt/compiler';

/** Where a derived buffer's elements start in its source buffer (a weight or constant). */
export interface PackedSlice {
  readonly source: number;
  readonly offset: number;
}

/** The derived buffers (by id) that are packed straight from a run of their source. */
export function packedSlices(plan: KernelPlan): Map<number, PackedSlice> {
  const base = (id: number) => baseBuffer(plan.buffers, id);
  const found = new Map<number, PackedSlice>();
  for (const k of plan.prologue) {
    if (k.kind !== 'slice' || typeof k.start !== 'number' || base(k.out) !== k.out) continue;
    const source = base(k.x);
    const kind = plan.buffers[source].storage.kind;
    const shape = plan.buffers[k.x].shape;
    if ((kind !== 'weight' && kind !== 'constant') || !shape.every((d): d is number => typeof d === 'number')) continue;
    if (shape.slice(0, k.axis).some((d) => d !== 1)) continue;
    const inner = (shape as number[]).slice(k.axis + 1).reduce((x, y) => x * y, 1);
    found.set(k.out, { source, offset: k.start * inner });
  }
  if (found.size === 0) return found;
  // Keep only those read as a matmul's B alone: by no other operand, kernel, prologue kernel or output.
  for (const k of plan.prologue) for (const r of kernelReads(k)) found.delete(base(r));
  for (const k of plan.kernels) {
    // kernelReads of a matmul: a, b, then the epilogue's extras.
    kernelReads(k).forEach((r, i) => { if (k.kind !== 'matmul' || i !== 1) found.delete(base(r)); });
  }
  for (const o of plan.outputs) found.delete(base(o.buffer));
  return found;
}
