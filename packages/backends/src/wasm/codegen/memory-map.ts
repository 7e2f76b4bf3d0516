// Where everything lives in the one linear memory. A header (barrier words, the current kernel,
// scratch base and stride) and a pointer table (one i32 per buffer) come first; then the
// load-time region: weights, constants, derived weights and B panels packed for GEMM, at
// addresses fixed when the module is generated; then the run-time region, laid out per set of
// symbol values by the module's `layout` export: arena slots (arenaLayout's offsets from an
// aligned base), inputs, and one scratch region per thread. Between the two, a host may keep
// device tensors (runtime/resident-heap.ts); the header word `runtimeBase` says where they end.

import { type Kernel, type KernelPlan, baseBuffer, bufferBytes, kernelReads } from '@smelt/compiler';

export const HEADER = {
  barrierCount: 16,
  barrierGeneration: 20,
  currentKernel: 24,
  scratchBase: 28,
  scratchStride: 32,
  /** Set when any thread trapped: threads spinning in a barrier trap too instead of waiting forever. */
  abort: 36,
  /** Address of the work counters of threaded loops (one i32 each, zeroed before every run). */
  counterBase: 40,
  /** Set by a host whose calling thread may not block (a browser's main thread): barrier waiters spin, never sleep. */
  spinOnly: 44,
  /**
   * Where `layout` starts the run-time region, when above the load-time region's end: a host that
   * keeps device tensors between runs (resident-heap.ts) puts them below it. 0 (as loaded) = the end.
   */
  runtimeBase: 48,
} as const;

const TABLE_BASE = 64;
/** Bytes past the end of every region that kernels may read (never use) when a vector straddles an edge. */
export const SLACK = 256;

export const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** B of a GEMM packed at load into panels of 8 columns: [ceil(n/8)][k][8] f32, zero padded. */
export interface PackedPanels {
  readonly source: number;
  readonly transB: boolean;
  readonly k: number;
  readonly n: number;
  readonly address: number;
}

export const PANEL = 8;

export function panelBytes(k: number, n: number): number {
  return Math.ceil(n / PANEL) * k * PANEL * 4;
}

const isLoadTime = (plan: KernelPlan, id: number) => {
  const kind = plan.buffers[baseBuffer(plan.buffers, id)].storage.kind;
  return kind === 'weight' || kind === 'constant' || kind === 'derived';
};

/** A per-run matmul whose B is known at load and is one matrix: it reads panels packed once. */
export function hasPackedB(plan: KernelPlan, k: Kernel): k is Extract<Kernel, { kind: 'matmul' }> {
  if (k.kind !== 'matmul' || !plan.kernels.includes(k) || !isLoadTime(plan, k.b)) return false;
  const shape = plan.buffers[k.b].shape;
  return shape.every((d) => typeof d === 'number') && shape.slice(0, -2).every((d) => d === 1);
}

export class MemoryMap {
  readonly staticAddresses = new Map<number, number>();
  readonly packed: PackedPanels[] = [];
  /** Start of the load-time region (right after the pointer table). */
  readonly staticBase: number;
  readonly staticEnd: number;
  readonly scratchBaseSlot = HEADER.scratchBase;
  readonly scratchStrideSlot = HEADER.scratchStride;

  constructor(readonly plan: KernelPlan) {
    this.staticBase = alignUp(TABLE_BASE + 4 * plan.buffers.length, 64);
    let at = this.staticBase;
    const place = (bytes: number) => {
      const a = at;
      at = alignUp(at + bytes, 16);
      return a;
    };
    const natural = this.naturallyRead();
    for (const b of plan.buffers) {
      const kind = b.storage.kind;
      const stored = kind === 'constant' || kind === 'derived' || (kind === 'weight' && natural.has(b.id));
      if (stored) this.staticAddresses.set(b.id, place(bufferBytes(b, new Map())));
    }
    for (const k of plan.kernels) {
      if (!hasPackedB(plan, k)) continue;
      const source = baseBuffer(plan.buffers, k.b);
      if (this.packedFor(source, k.transB)) continue;
      const [r, c] = (plan.buffers[k.b].shape as number[]).slice(-2);
      const [kk, n] = k.transB ? [c, r] : [r, c];
      this.packed.push({ source, transB: k.transB, k: kk, n, address: place(panelBytes(kk, n)) });
    }
    this.staticEnd = alignUp(at + SLACK, 64);
  }

  /** Buffers some kernel reads in their natural layout (every read but a packed GEMM B), and outputs. */
  private naturallyRead(): Set<number> {
    const plan = this.plan;
    const read = new Set(plan.outputs.map((o) => baseBuffer(plan.buffers, o.buffer)));
    for (const k of [...plan.prologue, ...plan.kernels]) {
      const packedB = hasPackedB(plan, k) ? k.b : -1;
      for (const r of kernelReads(k)) if (r !== packedB) read.add(baseBuffer(plan.buffers, r));
    }
    return read;
  }

  packedFor(source: number, transB: boolean): PackedPanels | undefined {
    return this.packed.find((p) => p.source === source && p.transB === transB);
  }

  staticAddress(base: number): number | undefined {
    return this.staticAddresses.get(base);
  }

  pointerSlot(base: number): number {
    return TABLE_BASE + 4 * base;
  }
}
