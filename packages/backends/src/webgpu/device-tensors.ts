// Device tensors (resident.ts) on WebGPU: each a GPU buffer of its own (32-bit elements). Shared by
// the in-process executable (executable.ts) and an exported model.js, which carries this file's
// text (aot/host.ts, scripts/embed.ts), so it imports only files embedded before it. Row selections
// are buffer-to-buffer copies encoded at the head of the next submit (`flush`), so a decoding step
// stays one submit. A disposed tensor's buffer is kept for the next device tensor that fits in it
// (after the submit of any pending copy that still reads it): a decoding step's caches are each a
// row longer than the step before's, so buffers are made with some room to spare and the same few
// go round from step to step instead of a new one per cache per step. Every byte copied between the
// host and these buffers is counted.

import { foreignTensor, rowBytes } from '../resident-checks.ts';
import { BUFFER_USAGE, type DTypeName, MAP_MODE_READ } from './portable-host.ts';

/** Every element on the GPU is 32 bits (wgsl-types.ts GPU_BYTES_PER_ELEMENT). */
const ELEMENT_BYTES = 4;
/** Room a new buffer gets beyond the bytes asked for: half as much again, at most 4 MiB (and never past maxBufferSize). */
const roomy = (bytes: number) => bytes + Math.min(Math.floor(bytes / 2), 4 << 20);
/** Buffers of disposed tensors kept for reuse at most, and their bytes at most (the oldest beyond are destroyed). */
const MAX_FREE = 32;
const MAX_FREE_BYTES = 256 << 20;

/** A GPU buffer of its own holding one tensor. */
export class GpuDeviceTensor {
  readonly kind = 'device';
  live = true;
  constructor(readonly dtype: DTypeName, readonly shape: readonly number[], readonly buffer: GPUBuffer, readonly bytes: number, readonly owner: GpuTensors) {}
  dispose(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.retire(this.buffer);
  }
}

export class GpuTensors {
  /** Bytes copied between host tensors and the GPU (resident.ts TransferCounts). */
  readonly counts = { toBackend: 0, fromBackend: 0 };
  /** Copies between device tensors, encoded before the next submit's commands. */
  private pending: ((encoder: GPUCommandEncoder) => void)[] = [];
  /** Buffers of disposed device tensors that pending copies still read: free once those are submitted. */
  private retired: GPUBuffer[] = [];
  /** Buffers of disposed device tensors, for the next ones that fit (oldest first). */
  private free: GPUBuffer[] = [];
  private closed = false;

  /** `create(bytes, label)`: a storage buffer (copy source and destination) of at least `bytes`. */
  constructor(private readonly device: GPUDevice, private readonly create: (bytes: number, label: string) => GPUBuffer) {}

  own(t: unknown, what: string): GpuDeviceTensor {
    if (!(t instanceof GpuDeviceTensor) || t.owner !== this || !t.live) throw foreignTensor('webgpu', what);
    return t;
  }

  /** A new device tensor of `bytes` (a kept output's, which its kernels write): in a free buffer that fits, or a new one. */
  make(dtype: DTypeName, shape: readonly number[], bytes: number, label: string): GpuDeviceTensor {
    const room = Math.max(bytes, Math.min(roomy(bytes), this.device.limits.maxBufferSize));
    return new GpuDeviceTensor(dtype, [...shape], this.takeFree(bytes) ?? this.create(room, label), bytes, this);
  }

  /** The smallest free buffer that holds `bytes` without wasting more than it holds. */
  private takeFree(bytes: number): GPUBuffer | undefined {
    let best = -1;
    this.free.forEach((b, i) => {
      if (b.size >= bytes && b.size <= 2 * Math.max(bytes, 256) && (best < 0 || b.size < this.free[best].size)) best = i;
    });
    return best < 0 ? undefined : this.free.splice(best, 1)[0];
  }

  /** A new device tensor holding these 32-bit GPU elements (counted). */
  upload(dtype: DTypeName, shape: readonly number[], data: Float32Array | Int32Array | Uint32Array): GpuDeviceTensor {
    const d = this.make(dtype, shape, data.byteLength, 'device tensor');
    if (data.byteLength) this.device.queue.writeBuffer(d.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.counts.toBackend += data.byteLength;
    return d;
  }

  selectRows(t: unknown, rows: readonly number[]): GpuDeviceTensor {
    const d = this.own(t, 'selectRows');
    const row = rowBytes(d, rows, ELEMENT_BYTES);
    const out = this.make(d.dtype, [rows.length, ...d.shape.slice(1)], row * rows.length, 'device tensor');
    if (row > 0) this.pending.push((encoder) => rows.forEach((r, i) => encoder.copyBufferToBuffer(d.buffer, r * row, out.buffer, i * row, row)));
    return out;
  }

  /** Encode the pending row copies (at the head of a submit's commands). */
  flush(encoder: GPUCommandEncoder): void {
    for (const p of this.pending) p(encoder);
    this.pending = [];
  }

  /** Submit commands, then free the buffers that waited for the copies they held. */
  submit(encoder: GPUCommandEncoder): void {
    this.device.queue.submit([encoder.finish()]);
    for (const b of this.retired) this.release(b);
    this.retired = [];
  }

  /** Free a disposed device tensor's buffer, after the copies still pending are submitted. */
  retire(buffer: GPUBuffer): void {
    if (this.pending.length) this.retired.push(buffer);
    else this.release(buffer);
  }

  /** Destroy the free and retired buffers, and from now on those of tensors disposed later (the executable is disposed). */
  destroyFree(): void {
    for (const b of [...this.retired, ...this.free]) b.destroy();
    this.retired = [];
    this.free = [];
    this.closed = true;
  }

  private release(buffer: GPUBuffer): void {
    if (this.closed) return buffer.destroy();
    this.free.push(buffer);
    let bytes = this.free.reduce((n, b) => n + b.size, 0);
    while (this.free.length > MAX_FREE || bytes > MAX_FREE_BYTES) {
      const oldest = this.free.shift()!;
      bytes -= oldest.size;
      oldest.destroy();
    }
  }

  /** A device tensor's bytes on the host (counted), after the pending copies; `wait` guards the mapping (a lost device). */
  async download(t: unknown, wait: <T>(p: Promise<T>) => Promise<T> = (p) => p): Promise<{ dtype: DTypeName; shape: readonly number[]; bytes: ArrayBuffer }> {
    const d = this.own(t, 'download');
    const staging = this.device.createBuffer({ size: Math.max(d.bytes, 16), usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST, label: 'download' });
    try {
      const encoder = this.device.createCommandEncoder();
      this.flush(encoder);
      if (d.bytes) encoder.copyBufferToBuffer(d.buffer, 0, staging, 0, d.bytes);
      this.submit(encoder);
      await wait(staging.mapAsync(MAP_MODE_READ));
      const bytes = staging.getMappedRange().slice(0, d.bytes);
      this.counts.fromBackend += d.bytes;
      return { dtype: d.dtype, shape: d.shape, bytes };
    } finally {
      staging.destroy();
    }
  }
}
