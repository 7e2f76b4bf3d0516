// Where everything lives in the one linear memory. A header (barrier words, the current kernel,
// scratch base and stride) and a pointer table (one i32 per buffer) come first; then the
// load-time region: weights, constants, derived weights and B panels packed for GEMM, at
// addresses fixed when the module is generated; then the run-time region, laid out per set of
// symbol values by the module's `layout` export: arena slots (arenaLayout's offsets from an
// aligned base), inputs, and one scratch region per thread. Between the two, a host may keep
// device tensors (runtime/resident-heap.ts); the header word `runtimeBase` says where they end.
// Buffers only loading needs (weights only the prologue reads, derived weights only packed into
// panels) live past the load-time region while the executable loads, where the run-time region
// goes afterwards: no copy of them stays. Panels of quantized matrices (`weightsDtype`) hold int8
// with a scale per column, or f16; the GEMM dequantizes them in registers.

import { type Kernel, type KernelPlan, type WeightsDType, baseBuffer, bufferBytes, kernelReads, quantizedWeights } from '@smelt/compiler';

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

/**
 * B of a GEMM packed at load into panels of 8 columns: [ceil(n/8)][k][8] elements of `dtype`
 * (f32 or f16 bits), zero padded; int8 panels are [ceil(n/8)][k/2][8][2] bytes (k steps in pairs,
 * kernels/gemm-int8.ts) with [ceil(n/8)][8] f32 column scales at `scales`.
 */
export interface PackedPanels {
  readonly source: number;
  readonly transB: boolean;
  readonly k: number;
  readonly n: number;
  readonly dtype: WeightsDType;
  readonly address: number;
  readonly scales?: number;
}

export const PANEL = 8;

export const PANEL_ELEMENT_BYTES: { readonly [D in WeightsDType]: number } = { f32: 4, int8: 1, f16: 2 };

/** k steps stored per int8 panel: k rounded up to even (they go in pairs, kernels/gemm-int8.ts). */
export const int8Steps = (k: number): number => k + (k & 1);

/** Bytes of a k×n matrix's panels. */
export function panelBytes(k: number, n: number, dtype: WeightsDType = 'f32'): number {
  return Math.ceil(n / PANEL) * (dtype === 'int8' ? int8Steps(k) : k) * PANEL * PANEL_ELEMENT_BYTES[dtype];
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
  /** Buffers needed only while loading, at fixed addresses in [staticEnd, loadEnd). */
  readonly loadOnly = new Set<number>();
  readonly loadEnd: number;
  readonly scratchBaseSlot = HEADER.scratchBase;
  readonly scratchStrideSlot = HEADER.scratchStride;

  constructor(readonly plan: KernelPlan, readonly weightsDtype: WeightsDType = 'f32') {
    this.staticBase = alignUp(TABLE_BASE + 4 * plan.buffers.length, 64);
    let at = this.staticBase;
    const place = (bytes: number) => {
      const a = at;
      at = alignUp(at + bytes, 16);
      return a;
    };
    const atRun = this.readPerRun();
    const atLoad = this.readAtLoad();
    const loadOnly: number[] = [];
    for (const b of plan.buffers) {
      const kind = b.storage.kind;
      if (kind !== 'constant' && kind !== 'derived' && kind !== 'weight') continue;
      if (atRun.has(b.id)) this.staticAddresses.set(b.id, place(bufferBytes(b, new Map())));
      else if (atLoad.has(b.id) || kind === 'derived') loadOnly.push(b.id);
    }
    const quantized = weightsDtype === 'f32' ? new Map() : quantizedWeights(plan).matrices;
    for (const k of plan.kernels) {
      if (!hasPackedB(plan, k)) continue;
      const source = baseBuffer(plan.buffers, k.b);
      if (this.packedFor(source, k.transB)) continue;
      const [r, c] = (plan.buffers[k.b].shape as number[]).slice(-2);
      const [kk, n] = k.transB ? [c, r] : [r, c];
      const dtype = quantized.has(source) ? weightsDtype : 'f32';
      const address = place(panelBytes(kk, n, dtype));
      this.packed.push({ source, transB: k.transB, k: kk, n, dtype, address, ...(dtype === 'int8' ? { scales: place(Math.ceil(n / PANEL) * PANEL * 4) } : {}) });
    }
    this.staticEnd = alignUp(at + SLACK, 64);
    at = this.staticEnd;
    for (const id of loadOnly) {
      this.loadOnly.add(id);
      this.staticAddresses.set(id, place(bufferBytes(plan.buffers[id], new Map())));
    }
    this.loadEnd = alignUp(at + SLACK, 64);
  }

  /** Buffers per-run kernels read in their natural layout (every read but a packed GEMM B), and outputs. */
  private readPerRun(): Set<number> {
    const plan = this.plan;
    const read = new Set(plan.outputs.map((o) => baseBuffer(plan.buffers, o.buffer)));
    for (const k of plan.kernels) {
      // A packed B is read from its panels; the same buffer as an epilogue operand is still read as is.
      const reads = hasPackedB(plan, k) ? [k.a, ...k.extras] : kernelReads(k);
      for (const r of reads) read.add(baseBuffer(plan.buffers, r));
    }
    return read;
  }

  /** Buffers the prologue reads, and derived B matrices (packed from memory at load; weights and constants pack from the host). */
  private readAtLoad(): Set<number> {
    const plan = this.plan;
    const read = new Set<number>();
    for (const k of plan.prologue) for (const r of kernelReads(k)) read.add(baseBuffer(plan.buffers, r));
    for (const k of plan.kernels) {
      if (hasPackedB(plan, k) && plan.buffers[baseBuffer(plan.buffers, k.b)].storage.kind === 'derived') read.add(baseBuffer(plan.buffers, k.b));
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
