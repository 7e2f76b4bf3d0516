// Deterministic safetensors serialization: header keys in sorted-name order, the header padded with
// spaces to a multiple of 8, and the data packed with no gaps, largest item size first (then by name)
// so that every tensor starts aligned to its element size. Re-exported by safetensors.ts.

import { BYTES_PER_ELEMENT, type DType, f32ToBf16Bits, f32ToF16Bits } from './dtype.ts';
import {
  ST_ITEMSIZE, type SafetensorsDType, SafetensorsError, describe, isNonNegInt, isSafetensorsDType, requireLittleEndian, shapeText,
} from './safetensors-read.ts';
import type { Tensor } from './tensor.ts';

export interface SerializeOptions {
  /** String key/value pairs stored under "__metadata__". */
  metadata?: Record<string, string>;
  /** Per-tensor file dtype; an f32 tensor may be written as F16 or BF16 (round to nearest even). */
  dtypes?: Record<string, SafetensorsDType>;
}

const NATURAL: { readonly [D in DType]: SafetensorsDType } = {
  f32: 'F32', f16: 'F16', i32: 'I32', i64: 'I64', u8: 'U8', bool: 'BOOL',
};

const ARRAY_TYPES: { readonly [D in DType]: new (length: number) => ArrayBufferView } = {
  f32: Float32Array, f16: Uint16Array, i32: Int32Array, i64: BigInt64Array, u8: Uint8Array, bool: Uint8Array,
};

interface Planned { name: string; tensor: Tensor; dtype: SafetensorsDType; begin: number; end: number }

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type NamedTensors = Map<string, Tensor> | Record<string, Tensor>;

export function serializeSafetensors(tensors: NamedTensors, opts: SerializeOptions = {}): Uint8Array {
  return serializeLabeled(tensors, opts, '<buffer>');
}

/** serializeSafetensors with the file label its errors name (writeSafetensors passes the file name). */
export function serializeLabeled(tensors: NamedTensors, opts: SerializeOptions, file: string): Uint8Array {
  requireLittleEndian(file);
  const named = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const plan = planLayout(named, opts, file);
  const headerBytes = encodeHeader(plan, checkMetadataOut(opts.metadata, file));
  const dataLen = plan.reduce((n, p) => Math.max(n, p.end), 0);
  const out = new Uint8Array(8 + headerBytes.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const dataStart = 8 + headerBytes.length;
  for (const p of plan) out.set(tensorBytes(p.tensor, p.dtype), dataStart + p.begin);
  return out;
}

function planLayout(named: [string, Tensor][], opts: SerializeOptions, file: string): Planned[] {
  const dtypes = opts.dtypes ?? {};
  const names = new Set(named.map(([n]) => n));
  for (const n of Object.keys(dtypes)) {
    if (!names.has(n)) throw new SafetensorsError(file, n, `dtypes option names a tensor that is not being written`);
  }
  const plan = named.map(([name, t]): Planned => {
    const dtype = Object.hasOwn(dtypes, name) ? dtypes[name] : NATURAL[t.dtype];
    checkTensor(name, t, dtype, file);
    return { name, tensor: t, dtype, begin: 0, end: 0 };
  });
  plan.sort((a, b) => ST_ITEMSIZE[b.dtype] - ST_ITEMSIZE[a.dtype] || byName(a.name, b.name));
  let offset = 0;
  for (const p of plan) {
    p.begin = offset;
    offset += p.tensor.data.length * ST_ITEMSIZE[p.dtype];
    p.end = offset;
  }
  return plan.sort((a, b) => byName(a.name, b.name));
}

function checkTensor(name: string, t: Tensor, dtype: SafetensorsDType, file: string): void {
  const fail = (reason: string) => new SafetensorsError(file, name, reason);
  if (typeof name !== 'string' || name === '') throw fail('tensor names must be non-empty strings');
  if (name === '__metadata__') throw fail('"__metadata__" is reserved for the metadata and cannot name a tensor');
  if (!(t.dtype in NATURAL)) throw fail(`unknown tensor dtype ${describe(t.dtype)}`);
  if (!isSafetensorsDType(dtype)) throw fail(`cannot write as dtype ${describe(dtype)}`);
  const allowed = t.dtype === 'f32' ? ['F32', 'F16', 'BF16'] : [NATURAL[t.dtype]];
  if (!allowed.includes(dtype)) throw fail(`a ${t.dtype} tensor can be written as ${allowed.join(' or ')}, not ${dtype}`);
  const want = ARRAY_TYPES[t.dtype];
  if (!(t.data instanceof want)) {
    throw fail(`${t.dtype} data must be a ${want.name}, got ${Object.prototype.toString.call(t.data).slice(8, -1)}`);
  }
  const shape = t.shape as readonly unknown[];
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) throw fail(`shape must be non-negative integers, got ${describe(shape)}`);
  const n = shape.reduce((acc: number, d) => acc * (d as number), 1);
  if (t.data.length !== n) throw fail(`data has ${t.data.length} elements, but shape ${shapeText(t.shape)} needs ${n}`);
  if (t.dtype === 'bool') {
    const i = (t.data as Uint8Array).findIndex((v) => v > 1);
    if (i >= 0) throw fail(`bool data must be 0 or 1, got ${(t.data as Uint8Array)[i]} at index ${i}`);
  }
}

function checkMetadataOut(metadata: Record<string, string> | undefined, file: string): [string, string][] {
  const pairs = Object.entries(metadata ?? {});
  for (const [k, v] of pairs) {
    if (typeof v !== 'string') throw new SafetensorsError(file, undefined, `metadata value for ${JSON.stringify(k)} must be a string, got ${describe(v)}`);
  }
  return pairs.sort(([a], [b]) => byName(a, b));
}

/** The JSON header, padded with spaces so the data section starts 8-aligned. */
function encodeHeader(plan: Planned[], metadata: [string, string][]): Uint8Array {
  const parts: string[] = [];
  if (metadata.length > 0) {
    parts.push(`"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  for (const p of plan) {
    const shape = p.tensor.shape.join(',');
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${shape}],"data_offsets":[${p.begin},${p.end}]}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}

/** The little-endian bytes of a tensor in the file dtype (a view when no conversion is needed). */
function tensorBytes(t: Tensor, dtype: SafetensorsDType): Uint8Array {
  const data = t.data;
  if (t.dtype === 'f32' && (dtype === 'F16' || dtype === 'BF16')) {
    const src = data as Float32Array;
    const conv = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
    const half = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) half[i] = conv(src[i]);
    return new Uint8Array(half.buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length * BYTES_PER_ELEMENT[t.dtype]);
}
