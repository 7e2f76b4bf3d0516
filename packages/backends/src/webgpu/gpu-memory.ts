// GPU memory for one executable: a buffer per weight, constant and derived (prologue) tensor,
// uploaded or computed once; a buffer per graph input, grown when a longer input arrives; and the
// arena, one buffer holding every per-run intermediate at the slot offsets of the memory plan,
// re-created only when the symbol values need more bytes. The arena lays out the slots of fixed size
// first, and grows with a quarter to spare (at most 16 MiB). A run with device tensors (a decoding
// step, a row longer than the one before) lays the slots out for each symbol's value rounded up to
// a power of two, so it binds the same arena at the same offsets from one step to the next until a
// length passes the next power of two (run-reuse.ts keeps its bind groups while it does).
// `locate` answers where a plan buffer's elements are for given symbol values. Elements are 32 bits
// (wgsl-types.ts), except the f16 weights of precision 'f16' (precision.ts) and quantized weight
// matrices (quantized.ts).

import type { KernelPlan } from '@smelt/compiler';
import { baseBuffer } from '@smelt/compiler';
import { type SymbolEnv, numel, resolveShape } from '@smelt/ir';
import type { TensorInputs } from '../backend.ts';
import type { GpuDevice } from './device.ts';
import { fixedBuffers } from './host-tensors.ts';
import { type SlotLayout, bindingBytes, slotOffsets } from './portable-host.ts';
import { GPU_BYTES_PER_ELEMENT } from './wgsl-types.ts';
import { NO_QUANTIZATION, type QuantizedStorage } from './quantized.ts';

const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08; // GPUBufferUsage, fixed by the spec
export const STORAGE_USAGE = STORAGE | COPY_SRC | COPY_DST;
/** Arena slot alignment: 256 bytes, the storage binding offset alignment every WebGPU adapter accepts. */
export const ARENA_ALIGNMENT = 256;

export { bindingBytes };

export interface Location {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  /** Bytes of the tensor itself. */
  readonly bytes: number;
}

export type ArenaLayout = SlotLayout;

/** A symbol's value rounded up to a power of two (0 stays 0). */
function roomFor(value: number): number {
  return value <= 1 ? value : 2 ** Math.ceil(Math.log2(value));
}

export class GpuMemory {
  /** Fixed buffers: weights, constants, derived; keyed by base plan buffer id. */
  private readonly fixed = new Map<number, GPUBuffer>();
  private readonly inputs = new Map<string, GPUBuffer>();
  private arena: GPUBuffer | undefined;
  /** The arena's slots (buffer ids each), those of fixed size first. */
  private readonly slots: readonly (readonly number[])[];
  bytesUploadedAtLoad = 0;

  constructor(
    private readonly gpu: GpuDevice, private readonly plan: KernelPlan, private readonly alignment: number,
    /** Base buffers stored as f16 (precision.ts). */
    private readonly half: ReadonlySet<number> = new Set(),
    /** Quantized weight matrices (quantized.ts). */
    private readonly quantized: QuantizedStorage = NO_QUANTIZATION,
  ) {
    const slots = plan.arena.slots.map((s) => s.buffers);
    const fixed = (slot: readonly number[]) => slot.every((id) => plan.buffers[id].shape.every((d) => typeof d === 'number'));
    this.slots = [...slots.filter(fixed), ...slots.filter((s) => !fixed(s))];
  }

  private create(size: number, label: string): GPUBuffer {
    const max = this.gpu.limits.maxBufferSize;
    if (size > max) throw new Error(`webgpu: ${label} needs a ${size}-byte buffer; maxBufferSize available is ${max}`);
    return this.gpu.device.createBuffer({ size: bindingBytes(size), usage: STORAGE_USAGE, label });
  }

  /** Upload weights and constants, allocate derived buffers (the prologue fills them). */
  loadFixed(weights: TensorInputs): void {
    for (const f of fixedBuffers(this.plan, weights, this.half, this.quantized)) {
      const buf = this.create(f.bytes, `${f.kind} ${f.id}`);
      if (f.data) {
        this.gpu.device.queue.writeBuffer(buf, 0, f.data.buffer, f.data.byteOffset, f.data.byteLength);
        this.bytesUploadedAtLoad += f.data.byteLength;
      }
      this.fixed.set(f.id, buf);
    }
  }

  /**
   * Slot offsets for these symbol values: each slot as large as its largest buffer, aligned;
   * `roomy`: as large as at the values rounded up to powers of two, too (runs with device tensors).
   */
  layout(env: SymbolEnv, roomy = false): ArenaLayout {
    if (!roomy) return slotOffsets(this.slots, (id) => this.bytes(id, env), this.alignment);
    const room: SymbolEnv = new Map([...env].map(([s, v]) => [s, roomFor(v)]));
    return slotOffsets(this.slots, (id) => Math.max(this.bytes(id, env), this.bytesOrZero(id, room)), this.alignment);
  }

  /** `bytes`, or 0 where the rounded-up values give a dim no number (an exact division that is not). */
  private bytesOrZero(id: number, env: SymbolEnv): number {
    try {
      return this.bytes(id, env);
    } catch {
      return 0;
    }
  }

  bytes(id: number, env: SymbolEnv): number {
    const q = this.quantized.matrices.get(id);
    if (q) return q.bytes;
    return numel(resolveShape(this.plan.buffers[id].shape, env)) * (this.half.has(id) ? 2 : GPU_BYTES_PER_ELEMENT);
  }

  /** Make the arena and input buffers big enough for `env` (but those of inputs in `onDevice`); true when any buffer was replaced. */
  ensure(env: SymbolEnv, layout: ArenaLayout, onDevice: ReadonlySet<string> = new Set()): boolean {
    let grew = false;
    if (!this.arena || this.arena.size < layout.size) {
      this.arena?.destroy();
      // Room to grow, but never past what the device allows when the layout itself fits.
      const roomy = layout.size + Math.min(Math.floor(layout.size / 4), 16 << 20);
      this.arena = this.create(Math.max(layout.size, Math.min(roomy, this.gpu.limits.maxBufferSize)), 'arena');
      grew = true;
    }
    for (const { name, buffer } of this.plan.inputs) {
      if (onDevice.has(name)) continue;
      const need = bindingBytes(this.bytes(buffer, env));
      const have = this.inputs.get(name);
      if (have && have.size >= need) continue;
      have?.destroy();
      this.inputs.set(name, this.create(need, `input ${this.plan.inputs.findIndex((i) => i.name === name)}`));
      grew = true;
    }
    return grew;
  }

  inputBuffer(name: string): GPUBuffer {
    return this.inputs.get(name)!;
  }

  /** A buffer of `bytes` (a device tensor's), counted in no plan. */
  createLoose(bytes: number, label: string): GPUBuffer {
    return this.create(bytes, label);
  }

  /** Where plan buffer `id` (a view resolves to its base) lives for these symbol values; `moved`: base buffers held elsewhere (device tensors). */
  locate(id: number, env: SymbolEnv, layout: ArenaLayout, moved?: ReadonlyMap<number, GPUBuffer>): Location {
    const base = baseBuffer(this.plan.buffers, id);
    const s = this.plan.buffers[base].storage;
    const bytes = this.bytes(base, env);
    const elsewhere = moved?.get(base);
    if (elsewhere) return { buffer: elsewhere, offset: 0, bytes };
    switch (s.kind) {
      case 'arena': return { buffer: this.arena!, offset: layout.offsets.get(base)!, bytes };
      case 'input': return { buffer: this.inputs.get(s.name)!, offset: 0, bytes };
      case 'weight': case 'constant': case 'derived': return { buffer: this.fixed.get(base)!, offset: 0, bytes };
      case 'alias': throw new Error('internal: alias survived baseBuffer');
      default: return s satisfies never;
    }
  }

  destroy(): void {
    for (const b of this.fixed.values()) b.destroy();
    for (const b of this.inputs.values()) b.destroy();
    this.arena?.destroy();
  }
}
