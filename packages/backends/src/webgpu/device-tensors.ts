// Device tensors (resident.ts) on WebGPU: each a GPU buffer of its own (32-bit elements). Shared by
// the in-process executable (executable.ts) and an exported model.js, which carries this file's
// text (aot/host.ts, scripts/embed.ts), so it imports only files embedded before it. Row selections
// are buffer-to-buffer copies encoded at the head of the next submit (`flush`), so a decoding step
// stays one submit; a disposed tensor whose buffer a pending copy still reads is destroyed after
// that submit. Every byte copied between the host and these buffers is counted.

import { foreignTensor, rowBytes } from '../resident-checks.ts';
import { BUFFER_USAGE, type DTypeName, MAP_MODE_READ } from './portable-host.ts';

/** Every element on the GPU is 32 bits (wgsl-types.ts GPU_BYTES_PER_ELEMENT). */
const ELEMENT_BYTES = 4;

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
  /** Buffers of disposed device tensors that pending copies still read: destroyed once those are submitted. */
  private retired: GPUBuffer[] = [];

  /** `create(bytes, label)`: a storage buffer (copy source and destination) of at least `bytes`. */
  constructor(private readonly device: GPUDevice, private readonly create: (bytes: number, label: string) => GPUBuffer) {}

  own(t: unknown, what: string): GpuDeviceTensor {
    if (!(t instanceof GpuDeviceTensor) || t.owner !== this || !t.live) throw foreignTensor('webgpu', what);
    return t;
  }

  /** A new device tensor of `bytes` (a kept output's, which its kernels write). */
  make(dtype: DTypeName, shape: readonly number[], bytes: number, label: string): GpuDeviceTensor {
    return new GpuDeviceTensor(dtype, [...shape], this.create(bytes, label), bytes, this);
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

  /** Submit commands, then destroy the buffers that waited for the copies they held. */
  submit(encoder: GPUCommandEncoder): void {
    this.device.queue.submit([encoder.finish()]);
    this.destroyRetired();
  }

  /** Destroy a disposed device tensor's buffer, after the copies still pending are submitted. */
  retire(buffer: GPUBuffer): void {
    if (this.pending.length) this.retired.push(buffer);
    else buffer.destroy();
  }

  destroyRetired(): void {
    for (const b of this.retired) b.destroy();
    this.retired = [];
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
