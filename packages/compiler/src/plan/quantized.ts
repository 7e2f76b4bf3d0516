// Which weights a `weightsDtype` of int8 or f16 stores quantized, decided on the kernel plan so
// every backend quantizes the same numbers. A *quantized matrix* is the B operand of per-run
// matmul kernels (Linear layers, attention projections, the generator): an f32 weight, or a
// derived weight the prologue cuts out of weights (the split of a cross-attention
// in_proj_weight; merged q/k/v projections), 2-D (leading dims 1), read by nothing but matmuls
// as B with one transB. Its output channels are B's columns (rows of a transB weight, torch's
// [out, in]); int8 scales run along the other axis, the reduction axis k. A weight that anything
// else reads (a gathered embedding, a tied output projection, a norm) stays f32, and so does a
// derived matrix any of whose sources stays f32: the backends that dequantize on load (js, the
// interpreter) then round-trip exactly the weights the kernels that dequantize in registers
// (wasm, webgpu) read quantized.

import type { Kernel, KernelPlan } from './kernel-plan.ts';
import { baseBuffer, kernelReads, kernelWrites } from './memory.ts';

/** How weights are stored: f32 as given, int8 (symmetric, one scale per output channel) or IEEE half. */
export type WeightsDType = 'f32' | 'int8' | 'f16';

export const WEIGHTS_DTYPES: readonly WeightsDType[] = ['f32', 'int8', 'f16'];

export interface QuantizedWeights {
  /** Base buffers of the quantized matrices, with the transB of the matmuls that read them. */
  readonly matrices: ReadonlyMap<number, { readonly transB: boolean }>;
  /** Weight names stored quantized, each with its reduction axis (the axis a scale runs along). */
  readonly weights: ReadonlyMap<string, { readonly kAxis: number }>;
}

/** The output-channel axis of a matrix of rank r read as B with transB: columns, or rows when transposed. */
const outputAxis = (rank: number, transB: boolean) => (transB ? rank - 2 : rank - 1);

export function quantizedWeights(plan: KernelPlan): QuantizedWeights {
  const base = (id: number) => baseBuffer(plan.buffers, id);
  const readers = new Map<number, { k: Kernel; prologue: boolean }[]>();
  for (const [list, prologue] of [[plan.prologue, true], [plan.kernels, false]] as const) {
    for (const k of list) for (const r of new Set(kernelReads(k).map(base))) readers.set(r, [...(readers.get(r) ?? []), { k, prologue }]);
  }
  const outputs = new Set(plan.outputs.map((o) => base(o.buffer)));
  const producer = new Map<number, Kernel>();
  for (const k of plan.prologue) if (k.kind === 'slice' || k.kind === 'concat') producer.set(base(k.out), k);

  // Candidates: f32 weight or derived, fixed 2-D shape, read only as a per-run matmul's B, one transB.
  const matrices = new Map<number, { transB: boolean }>();
  for (const b of plan.buffers) {
    if (b.id !== base(b.id) || b.dtype !== 'f32' || outputs.has(b.id)) continue;
    if (b.storage.kind !== 'weight' && b.storage.kind !== 'derived') continue;
    if (!b.shape.every((d) => typeof d === 'number') || b.shape.length < 2 || b.shape.slice(0, -2).some((d) => d !== 1)) continue;
    const rs = readers.get(b.id) ?? [];
    const asB = rs.every(({ k, prologue }) => !prologue && k.kind === 'matmul' && base(k.b) === b.id && base(k.a) !== b.id && !k.extras.some((e) => base(e) === b.id));
    const transB = new Set(rs.map(({ k }) => k.kind === 'matmul' && k.transB));
    if (rs.length > 0 && asB && transB.size === 1) matrices.set(b.id, { transB: [...transB][0] });
  }
  // A derived matrix is kept when a prologue slice or concat along its output axis made it from
  // weights; a source weight, when every reader is such a kernel. Drop either until both agree.
  const sourcesOf = (d: number): number[] | undefined => {
    const k = producer.get(d);
    const m = matrices.get(d);
    if (!k || !m || (k.kind !== 'slice' && k.kind !== 'concat')) return undefined;
    if (k.axis !== outputAxis(plan.buffers[d].shape.length, m.transB)) return undefined;
    const srcs = kernelReads(k).map(base);
    return srcs.every((s) => plan.buffers[s].storage.kind === 'weight' && plan.buffers[s].shape.length === plan.buffers[d].shape.length) ? srcs : undefined;
  };
  for (const b of [...matrices.keys()]) if (plan.buffers[b].storage.kind === 'derived' && !sourcesOf(b)) matrices.delete(b);
  const sources = new Set<number>();
  for (let changed = true; changed;) {
    changed = false;
    sources.clear();
    for (const d of matrices.keys()) for (const s of sourcesOf(d) ?? []) sources.add(s);
    for (const s of sources) {
      const ok = !outputs.has(s) && (readers.get(s) ?? []).every(({ k, prologue }) => prologue && kernelWrites(k).every((w) => matrices.has(base(w))));
      if (!ok) {
        for (const d of [...matrices.keys()]) if (sourcesOf(d)?.includes(s)) matrices.delete(d);
        changed = true;
      }
    }
  }
  const weights = new Map<string, { kAxis: number }>();
  const add = (id: number, transB: boolean) => {
    const s = plan.buffers[id].storage;
    const rank = plan.buffers[id].shape.length;
    if (s.kind === 'weight') weights.set(s.name, { kAxis: transB ? rank - 1 : rank - 2 });
  };
  for (const [id, m] of matrices) {
    if (plan.buffers[id].storage.kind === 'weight') add(id, m.transB);
    else for (const s of sourcesOf(id) ?? []) add(s, m.transB);
  }
  return { matrices, weights };
}

