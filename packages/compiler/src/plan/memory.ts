// Memory planning: every arena buffer gets a slot; buffers whose lifetimes do not overlap share a
// slot, and an elementwise kernel (or a matmul epilogue's residual) may write over an input that
// dies at that kernel (in place). Slots hold symbolic buffers, so offsets are computed per set of
// symbol values (`arenaLayout`) and one plan serves every sequence length. `checkArena` proves, for
// given symbol values, that no two live buffers overlap.

import { BYTES_PER_ELEMENT, type SymbolEnv, dimSymbols, numel, resolveShape, sameElementCount } from '@smelt/ir';
import type { ArenaSlot, Kernel, KernelPlan, PlanBuffer } from './kernel-plan.ts';

export interface ArenaOptions {
  /** Byte alignment of slot offsets (WebGPU wants 256). */
  readonly alignment?: number;
  /** Symbol values used to judge which slots fit which buffers best (any values stay correct). */
  readonly sizingEnv?: SymbolEnv;
}

type PlanBase = Omit<KernelPlan, 'arena'>;

/** The buffer a view finally reads. */
export function baseBuffer(buffers: readonly PlanBuffer[], id: number): number {
  let b = buffers[id];
  while (b.storage.kind === 'alias') b = buffers[b.storage.of];
  return b.id;
}

export function kernelReads(k: Kernel): number[] {
  switch (k.kind) {
    case 'elementwise': return [...k.inputs];
    case 'matmul': return [k.a, k.b, ...k.extras];
    case 'attention': return [k.q, k.k, k.v, ...(k.mask === undefined ? [] : [k.mask])];
    case 'row': return [...k.inputs];
    case 'reduce': case 'transpose': case 'slice': case 'pad': case 'cumsum': case 'topk': return [k.x];
    case 'dynamic_slice': return [k.x, k.start];
    case 'rope': return [k.x, k.cos, k.sin];
    case 'concat': return [...k.inputs];
    case 'gather': return [k.table, k.indices];
    case 'conv1d': return [k.x, k.w, ...(k.bias === undefined ? [] : [k.bias])];
    case 'iota': return [];
    default: return k satisfies never;
  }
}

export function kernelWrites(k: Kernel): number[] {
  if (k.kind === 'topk') return [k.out, k.indices];
  return k.kind === 'row' && k.value !== undefined ? [k.out, k.value] : [k.out];
}

export function bufferBytes(b: PlanBuffer, env: SymbolEnv): number {
  return numel(resolveShape(b.shape, env)) * BYTES_PER_ELEMENT[b.dtype];
}

function defaultEnv(plan: PlanBase): SymbolEnv {
  const env = new Map<string, number>();
  for (const b of plan.buffers) for (const d of b.shape) for (const s of dimSymbols(d)) env.set(s, 64);
  return env;
}

function lifetimes(plan: PlanBase): Map<number, [number, number]> {
  const life = new Map<number, [number, number]>();
  plan.kernels.forEach((k, i) => {
    for (const w of kernelWrites(k)) if (plan.buffers[w].storage.kind === 'arena') life.set(w, [i, i]);
    for (const r of kernelReads(k)) {
      const span = life.get(baseBuffer(plan.buffers, r));
      if (span) span[1] = Math.max(span[1], i);
    }
  });
  for (const o of plan.outputs) {
    const span = life.get(baseBuffer(plan.buffers, o.buffer));
    if (span) span[1] = plan.kernels.length;
  }
  return life;
}

/** Inputs a kernel may overwrite with `out`: read only at the output's own index, same size. */
function inPlaceCandidates(k: Kernel, out: number, buffers: readonly PlanBuffer[]): number[] {
  if (out !== k.out) return [];
  if (k.kind === 'elementwise') return [...k.inputs];
  if (k.kind === 'matmul' && k.extras.length > 0) {
    // The residual, unless it is also (a view of) an operand of the product, read at other indices.
    const residual = k.extras[k.extras.length - 1];
    const base = baseBuffer(buffers, residual);
    return baseBuffer(buffers, k.a) === base || baseBuffer(buffers, k.b) === base ? [] : [residual];
  }
  return [];
}

interface SlotState { id: number; buffers: number[]; busyUntil: number; size: number }

export function planArena(plan: PlanBase, options: ArenaOptions = {}): KernelPlan['arena'] {
  const env = options.sizingEnv ?? defaultEnv(plan);
  const life = lifetimes(plan);
  const slots: SlotState[] = [];
  const slotOf = new Map<number, SlotState>();
  const inPlace = new Map<number, number>();
  const sameSize = (a: PlanBuffer, b: PlanBuffer) =>
    BYTES_PER_ELEMENT[a.dtype] === BYTES_PER_ELEMENT[b.dtype] && sameElementCount(a.shape, b.shape);
  plan.kernels.forEach((k, i) => {
    for (const out of kernelWrites(k)) {
      const buf = plan.buffers[out];
      if (buf.storage.kind !== 'arena') continue;
      const [, end] = life.get(out)!;
      const reuse = inPlaceCandidates(k, out, plan.buffers).find((c) => {
        const cb = plan.buffers[c];
        return cb.storage.kind === 'arena' && life.get(c)![1] === i && sameSize(cb, buf) && !inPlace.has(c);
      });
      let slot = reuse !== undefined ? slotOf.get(reuse) : undefined;
      if (slot) inPlace.set(reuse!, out);
      else slot = pickFreeSlot(slots, i, bufferBytes(buf, env));
      slot.buffers.push(out);
      slot.busyUntil = Math.max(slot.busyUntil, end);
      slot.size = Math.max(slot.size, bufferBytes(buf, env));
      slotOf.set(out, slot);
      buf.storage = { kind: 'arena', slot: slot.id };
    }
  });
  return {
    slots: slots.map((s): ArenaSlot => ({ id: s.id, buffers: s.buffers })),
    alignment: options.alignment ?? 16,
    lifetimes: life,
    inPlace,
  };
}

/** Best fit among slots free before kernel i; else grow the largest free one; else a new slot. */
function pickFreeSlot(slots: SlotState[], i: number, bytes: number): SlotState {
  const free = slots.filter((s) => s.busyUntil < i);
  const fits = free.filter((s) => s.size >= bytes).sort((a, b) => a.size - b.size);
  if (fits.length) return fits[0];
  const largest = free.sort((a, b) => b.size - a.size)[0];
  if (largest) return largest;
  const slot = { id: slots.length, buffers: [], busyUntil: -1, size: 0 };
  slots.push(slot);
  return slot;
}

export interface ArenaLayout {
  /** Total arena bytes for these symbol values. */
  readonly size: number;
  /** Byte offset of each arena buffer's slot. */
  readonly offsets: ReadonlyMap<number, number>;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Slot offsets for concrete symbol values: each slot is as large as its largest buffer. */
export function arenaLayout(plan: KernelPlan, env: SymbolEnv): ArenaLayout {
  const offsets = new Map<number, number>();
  let at = 0;
  for (const slot of plan.arena.slots) {
    let size = 0;
    for (const b of slot.buffers) {
      size = Math.max(size, bufferBytes(plan.buffers[b], env));
      offsets.set(b, at);
    }
    at += alignUp(size, plan.arena.alignment);
  }
  return { size: at, offsets };
}

/** The sum of every arena buffer's bytes: what running without a plan would allocate. */
export function naiveBytes(plan: KernelPlan, env: SymbolEnv): number {
  return plan.buffers.filter((b) => b.storage.kind === 'arena').reduce((s, b) => s + bufferBytes(b, env), 0);
}

/** Throw unless every pair of arena buffers alive at the same kernel occupies disjoint bytes. */
export function checkArena(plan: KernelPlan, env: SymbolEnv): ArenaLayout {
  const layout = arenaLayout(plan, env);
  const live = [...plan.arena.lifetimes.entries()];
  for (let x = 0; x < live.length; x++) {
    for (let y = x + 1; y < live.length; y++) {
      const [a, [da, la]] = live[x];
      const [b, [db, lb]] = live[y];
      if (la < db || lb < da) continue;
      const handOver = (plan.arena.inPlace.get(a) === b && la === db) || (plan.arena.inPlace.get(b) === a && lb === da);
      if (handOver) continue;
      const oa = layout.offsets.get(a)!;
      const ob = layout.offsets.get(b)!;
      const ea = oa + bufferBytes(plan.buffers[a], env);
      const eb = ob + bufferBytes(plan.buffers[b], env);
      if (oa < eb && ob < ea && ea > oa && eb > ob) {
        throw new Error(`arena overlap: buffer ${a} [${oa}, ${ea}) alive at kernels ${da}..${la} and buffer ${b} [${ob}, ${eb}) alive at ${db}..${lb}`);
      }
    }
  }
  return layout;
}
