// Tensors in and out of GPU memory, where every element is 32 bits (wgsl-types.ts) except the f16
// weights of precision 'f16' (precision.ts): the conversions of portable-host.ts on smelt tensors,
// and the load-time contents of the fixed buffers (weights, constants, derived), which the
// in-process executable uploads and an AOT export writes into its weights file.

import type { KernelPlan } from '@smelt/compiler';
import { type DType, type Tensor, f32ToF16Bits, numel } from '@smelt/ir';
import { BackendError, type TensorInputs } from '../backend.ts';
import { type HostArray, fromGpuElements, toGpuElements } from './portable-host.ts';
import { GPU_BYTES_PER_ELEMENT } from './wgsl-types.ts';
import { NO_QUANTIZATION, type QuantizedStorage, quantizedBytes } from './quantized.ts';

export type GpuArray = Float32Array | Int32Array | Uint32Array;

/** The tensor's elements as the 32-bit array uploaded to the GPU. */
export function toGpuArray(t: Tensor, what: string): GpuArray {
  return toGpuElements(t.dtype, t.data as HostArray, what);
}

/** A tensor of `dtype` and `shape` from 32-bit GPU elements (a buffer the tensor may keep). */
export function fromGpuBytes(dtype: DType, shape: readonly number[], bytes: ArrayBuffer): Tensor {
  return { dtype, shape: [...shape], data: fromGpuElements(dtype, bytes, numel(shape)) } as Tensor;
}

/** One fixed buffer at load: its size on the GPU and, unless the prologue computes it, its bytes. */
export interface FixedBuffer {
  readonly id: number;
  readonly kind: 'weight' | 'constant' | 'derived';
  readonly bytes: number;
  /** The bytes to upload (a multiple of 4 long, as writeBuffer wants); absent for derived buffers. */
  readonly data?: Uint8Array;
}

/** Largest finite f16. */
const F16_MAX = 65504;

/**
 * f32 elements as f16 bits (round to nearest even; subnormals kept), padded to a whole number of
 * 32-bit words. A finite value beyond ±65504 would become ±inf: refused, naming the tensor.
 */
function halfBytes(values: Float32Array, what: string): Uint8Array {
  const bits = new Uint16Array(values.length + (values.length % 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && Math.abs(v) > F16_MAX && f32ToF16Bits(v) % 0x8000 === 0x7c00) {
      throw new BackendError(`precision 'f16': ${what} holds ${v} at element ${i}, beyond f16's ±${F16_MAX} (it would become ±inf); use precision 'f32'`);
    }
    bits[i] = f32ToF16Bits(v);
  }
  return new Uint8Array(bits.buffer);
}

/**
 * Every weight, constant and derived base buffer of the plan with its GPU bytes (`half`: ids stored
 * as f16; `quantized`: matrices stored quantized, made on the host, and the weights left unread).
 */
export function fixedBuffers(plan: KernelPlan, weights: TensorInputs, half: ReadonlySet<number>, quantized: QuantizedStorage = NO_QUANTIZATION): FixedBuffer[] {
  const out: FixedBuffer[] = [];
  for (const b of plan.buffers) {
    const s = b.storage;
    if (s.kind !== 'weight' && s.kind !== 'constant' && s.kind !== 'derived') continue;
    if (quantized.unread.has(b.id)) continue;
    const q = quantized.matrices.get(b.id);
    const bytes = q ? q.bytes : numel(b.shape as number[]) * (half.has(b.id) ? 2 : GPU_BYTES_PER_ELEMENT);
    if (q && s.kind === 'derived') {
      out.push({ id: b.id, kind: s.kind, bytes, data: quantizedBytes(plan, b.id, q, weights, quantized.hostKernels) });
      continue;
    }
    if (s.kind === 'derived') {
      out.push({ id: b.id, kind: s.kind, bytes });
      continue;
    }
    const t = s.kind === 'constant' ? s.value : weights.get(s.name);
    const want = `${b.dtype}[${b.shape.join(', ')}]`;
    if (!t) throw new BackendError(`missing weight ${JSON.stringify((s as { name: string }).name)}: expected ${want}`);
    if (t.dtype !== b.dtype || t.shape.join() !== b.shape.join()) {
      throw new BackendError(`weight ${JSON.stringify((s as { name: string }).name)}: expected ${want}, got ${t.dtype}[${t.shape.join(', ')}]`);
    }
    const what = s.kind === 'weight' ? `weight ${JSON.stringify(s.name)}` : 'constant';
    if (q) {
      out.push({ id: b.id, kind: s.kind, bytes, data: quantizedBytes(plan, b.id, q, weights, quantized.hostKernels) });
      continue;
    }
    const gpu = toGpuArray(t, what);
    const data = half.has(b.id) ? halfBytes(gpu as Float32Array, what) : new Uint8Array(gpu.buffer, gpu.byteOffset, gpu.byteLength);
    out.push({ id: b.id, kind: s.kind, bytes, data });
  }
  return out;
}
