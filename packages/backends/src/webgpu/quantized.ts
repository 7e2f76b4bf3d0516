// Quantized weights on WebGPU (`weightsDtype` int8 or f16; the format: docs/FORMATS.md). Each
// quantized matrix is one buffer of u32 words, so no shader-f16 is needed: int8 as four signed
// bytes a word (element i in byte i % 4 of word i / 4, little-endian) followed by one f32 scale per
// output channel (as its bits); f16 as two halves a word (element i in the low half when i is
// even), read with unpack2x16float. The matmul's loads of B call a helper that dequantizes
// (kernel-writer.ts), so every matmul template reads them unchanged. A quantized matrix the
// prologue would cut out of weights (the split of a cross-attention in_proj_weight) is sliced or
// concatenated on the host at load instead, and its source weights are never uploaded: no f32
// copy of a quantized weight reaches the GPU.

import { type Kernel, type KernelPlan, type WeightsDType, baseBuffer, kernelReads, kernelWrites, quantizedWeights } from '@smelt/compiler';
import { type Tensor, numel } from '@smelt/ir';
import { BackendError, type TensorInputs } from '../backend.ts';
import { channelsOf, halfOf, int8Scales, quantizeInt8 } from '../quantize.ts';

/** How one quantized matrix is stored and indexed. */
export interface GpuQuantized {
  readonly dtype: 'int8' | 'f16';
  /** Elements. */
  readonly count: number;
  /** The output channel of flat element i: i / cols when the reduction axis is the last, else i % cols. */
  readonly channelByRow: boolean;
  readonly cols: number;
  /** u32 words of the elements (the int8 scales follow them). */
  readonly words: number;
  /** Bytes of the whole buffer. */
  readonly bytes: number;
}

export interface QuantizedStorage {
  readonly matrices: ReadonlyMap<number, GpuQuantized>;
  /** Prologue kernels evaluated on the host at load (they make quantized matrices). */
  readonly hostKernels: ReadonlySet<Kernel>;
  /** Weights only those kernels read: not uploaded. */
  readonly unread: ReadonlySet<number>;
}

export const NO_QUANTIZATION: QuantizedStorage = { matrices: new Map(), hostKernels: new Set(), unread: new Set() };

export function quantizedStorage(plan: KernelPlan, dtype: WeightsDType): QuantizedStorage {
  if (dtype === 'f32') return NO_QUANTIZATION;
  const base = (id: number) => baseBuffer(plan.buffers, id);
  const q = quantizedWeights(plan);
  const matrices = new Map<number, GpuQuantized>();
  for (const [id, { transB }] of q.matrices) {
    const shape = plan.buffers[id].shape as number[];
    const count = numel(shape);
    const channelByRow = transB;
    const cols = shape[shape.length - 1];
    const channels = channelByRow ? count / cols : cols;
    const words = dtype === 'int8' ? Math.ceil(count / 4) : Math.ceil(count / 2);
    matrices.set(id, { dtype, count, channelByRow, cols, words, bytes: 4 * (words + (dtype === 'int8' ? channels : 0)) });
  }
  const hostKernels = new Set(plan.prologue.filter((k) => kernelWrites(k).some((w) => matrices.has(base(w)))));
  const readByGpu = new Set([...plan.prologue.filter((k) => !hostKernels.has(k)), ...plan.kernels].flatMap((k) => kernelReads(k).map(base)));
  const unread = new Set([...hostKernels].flatMap((k) => kernelReads(k).map(base)).filter((id) => !readByGpu.has(id)));
  return { matrices, hostKernels, unread };
}

/** The f32 values of a quantized matrix: its weight, or the host's evaluation of the prologue slice or concat that makes it. */
function matrixValues(plan: KernelPlan, id: number, weights: TensorInputs, hostKernels: ReadonlySet<Kernel>): Float32Array {
  const s = plan.buffers[id].storage;
  if (s.kind === 'weight') return weights.get(s.name)!.data as Float32Array;
  const k = [...hostKernels].find((x) => kernelWrites(x).some((w) => baseBuffer(plan.buffers, w) === id));
  const source = (r: number): Tensor => {
    const src = plan.buffers[baseBuffer(plan.buffers, r)].storage;
    if (src.kind !== 'weight') throw new BackendError(`webgpu: internal: quantized matrix %${id} is cut from a ${src.kind} buffer`);
    return weights.get(src.name)!;
  };
  const shape = plan.buffers[id].shape as number[];
  if (k?.kind === 'slice') return sliceValues(source(k.x), k.axis, k.start as number, shape[k.axis]);
  if (k?.kind === 'concat') return concatValues(k.inputs.map(source), k.axis);
  throw new BackendError(`webgpu: internal: no host kernel makes quantized matrix %${id}`);
}

/** Elements [start, start + size) along `axis`. */
function sliceValues(t: Tensor, axis: number, start: number, size: number): Float32Array {
  const inner = numel(t.shape.slice(axis + 1));
  const outer = numel(t.shape.slice(0, axis));
  const data = t.data as Float32Array;
  const out = new Float32Array(outer * size * inner);
  for (let o = 0; o < outer; o++) out.set(data.subarray((o * t.shape[axis] + start) * inner, (o * t.shape[axis] + start + size) * inner), o * size * inner);
  return out;
}

function concatValues(ts: readonly Tensor[], axis: number): Float32Array {
  const inner = numel(ts[0].shape.slice(axis + 1));
  const outer = numel(ts[0].shape.slice(0, axis));
  const total = ts.reduce((s, t) => s + t.shape[axis], 0);
  const out = new Float32Array(outer * total * inner);
  for (let o = 0; o < outer; o++) {
    let at = o * total * inner;
    for (const t of ts) {
      const n = t.shape[axis] * inner;
      out.set((t.data as Float32Array).subarray(o * n, (o + 1) * n), at);
      at += n;
    }
  }
  return out;
}

/** The bytes of a quantized matrix's buffer. */
export function quantizedBytes(plan: KernelPlan, id: number, m: GpuQuantized, weights: TensorInputs, hostKernels: ReadonlySet<Kernel>): Uint8Array {
  const values = matrixValues(plan, id, weights, hostKernels);
  const s = plan.buffers[id].storage;
  const name = s.kind === 'weight' ? s.name : `%${id} (derived)`;
  const words = new Uint32Array(m.bytes / 4);
  if (m.dtype === 'f16') {
    const halves = new Uint16Array(words.buffer, 0, 2 * m.words);
    values.forEach((v, i) => { halves[i] = halfOf(name, v); });
    return new Uint8Array(words.buffer);
  }
  const shape = plan.buffers[id].shape as number[];
  const channels = channelsOf(shape, m.channelByRow ? shape.length - 1 : shape.length - 2);
  const scales = int8Scales(name, values, channels);
  const bytes = new Int8Array(words.buffer, 0, 4 * m.words);
  values.forEach((v, i) => { bytes[i] = quantizeInt8(v, scales[m.channelByRow ? Math.floor(i / m.cols) : i % m.cols]); });
  new Float32Array(words.buffer, 4 * m.words, scales.length).set(scales);
  return new Uint8Array(words.buffer);
}

/** WGSL of the helper that reads element i of quantized binding `name` as f32. */
export function dequantizeFn(name: string, m: GpuQuantized): string {
  if (m.dtype === 'f16') return `fn dq_${name}(i: u32) -> f32 { return unpack2x16float(${name}[i >> 1u])[i & 1u]; }`;
  const channel = m.channelByRow ? `i / ${m.cols}u` : `i % ${m.cols}u`;
  return `fn dq_${name}(i: u32) -> f32 { let q = bitcast<i32>(${name}[i >> 2u] << (24u - 8u * (i & 3u))) >> 24u; return f32(q) * bitcast<f32>(${name}[${m.words}u + ${channel}]); }`;
}
