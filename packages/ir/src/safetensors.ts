// Safetensors in memory: strict reading (every malformed file is a SafetensorsError naming the
// file, the tensor and what is wrong), conversion of entries to IR tensors (zero-copy when
// aligned) and deterministic serialization. Parsing lives in safetensors-read.ts and serialization
// in safetensors-write.ts; this file is the public face. Files on disk (atomic writes included):
// safetensors-file.ts, in the Node-only entry @smelt/ir/node.

import {
  type SafetensorsEntry, SafetensorsError, isNonNegInt, isSafetensorsDType, neededBytes, parseSafetensors,
  requireLittleEndian, shapeText,
} from './safetensors-read.ts';
import { type Tensor, numel } from './tensor.ts';

export {
  type SafetensorsContents, type SafetensorsDType, type SafetensorsEntry, SafetensorsError, parseSafetensors,
} from './safetensors-read.ts';
export { type NamedTensors, type SerializeOptions, serializeSafetensors } from './safetensors-write.ts';

type ViewCtor<T> = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T;

/** A typed array over the entry's bytes: the same memory when aligned, else one copy. */
function view<T>(ctor: ViewCtor<T>, bytes: Uint8Array, itemsize: number, n: number): T {
  const src = bytes.byteOffset % itemsize === 0 ? bytes : bytes.slice();
  return new ctor(src.buffer, src.byteOffset, n);
}

/** BF16 has no IR dtype: widen to f32 (exact) by placing the 16 bits on top of an f32. */
function bf16ToF32(bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16) >>> 0;
  return out;
}

function checkBool(e: SafetensorsEntry, file: string): void {
  const i = e.bytes.findIndex((b) => b > 1);
  if (i >= 0) throw new SafetensorsError(file, e.name, `BOOL value ${e.bytes[i]} at index ${i}; only 0 and 1 are allowed`);
}

function checkEntryShape(e: SafetensorsEntry, file: string): void {
  const fail = (reason: string) => new SafetensorsError(file, e.name, reason);
  if (!isSafetensorsDType(e.dtype)) throw fail(`unsupported dtype ${JSON.stringify(e.dtype)}`);
  if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) throw fail(`shape must be non-negative integers, got ${JSON.stringify(e.shape)}`);
  const need = neededBytes(e.shape, e.dtype);
  if (BigInt(e.bytes.length) !== need) {
    throw fail(`entry has ${e.bytes.length} bytes, but dtype ${e.dtype} shape ${shapeText(e.shape)} needs ${need}`);
  }
}

/** The IR tensor of an entry: BF16 loads as f32, F16 as raw half bits, BOOL must hold only 0/1. */
export function entryToTensor(e: SafetensorsEntry): Tensor {
  const file = e.file ?? '<buffer>';
  requireLittleEndian(file);
  checkEntryShape(e, file);
  const shape = [...e.shape];
  const n = numel(shape);
  switch (e.dtype) {
    case 'F32': return { dtype: 'f32', shape, data: view(Float32Array, e.bytes, 4, n) };
    case 'F16': return { dtype: 'f16', shape, data: view(Uint16Array, e.bytes, 2, n) };
    case 'BF16': return { dtype: 'f32', shape, data: bf16ToF32(e.bytes, n) };
    case 'I32': return { dtype: 'i32', shape, data: view(Int32Array, e.bytes, 4, n) };
    case 'I64': return { dtype: 'i64', shape, data: view(BigInt64Array, e.bytes, 8, n) };
    case 'U8': return { dtype: 'u8', shape, data: view(Uint8Array, e.bytes, 1, n) };
    case 'BOOL':
      checkBool(e, file);
      return { dtype: 'bool', shape, data: view(Uint8Array, e.bytes, 1, n) };
    default: return e.dtype satisfies never;
  }
}

/** The tensors of a safetensors file's bytes; `file` names it in errors. */
export function deserializeSafetensors(bytes: Uint8Array, file = '<buffer>'): Map<string, Tensor> {
  const { entries } = parseSafetensors(bytes, file);
  return new Map([...entries].map(([name, e]) => [name, entryToTensor(e)]));
}
