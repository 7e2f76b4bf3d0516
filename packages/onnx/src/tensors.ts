// ONNX tensors (initializers, Constant values) to smelt tensors: the element types smelt stores,
// data from raw_data, the typed fields or an external file, with the byte count checked against
// the shape. Types smelt computes on: f32, i32 (int64 narrows, range-checked: smelt's integer
// arithmetic is 32-bit), bool; DOUBLE, FLOAT16 and BFLOAT16 widen or narrow to f32 and the small
// integer types widen to i32 (documented in docs/FORMATS.md).

import { type DType, type Tensor, bf16BitsToF32, f16BitsToF32, numel, tensor } from '@smelt/ir';
import type { OnnxTensor } from './decode.ts';
import { OnnxFormatError, OnnxUnsupportedError } from './errors.ts';

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;

const NAMES = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k])) as Record<number, string>;
export const onnxTypeName = (t: number): string => NAMES[t] ?? `type ${t}`;

/** Bytes per element in raw_data, and the smelt dtype the values become. */
const LAYOUT: Record<number, { size: number; dtype: DType }> = {
  1: { size: 4, dtype: 'f32' }, 2: { size: 1, dtype: 'u8' }, 3: { size: 1, dtype: 'i32' }, 4: { size: 2, dtype: 'i32' },
  5: { size: 2, dtype: 'i32' }, 6: { size: 4, dtype: 'i32' }, 7: { size: 8, dtype: 'i32' }, 9: { size: 1, dtype: 'bool' },
  10: { size: 2, dtype: 'f32' }, 11: { size: 8, dtype: 'f32' }, 12: { size: 4, dtype: 'i32' }, 16: { size: 2, dtype: 'f32' },
};

/** The smelt dtype of values of an ONNX element type (the graph's inputs, outputs and casts). */
export function smeltDType(onnxType: number, what: string): DType {
  const l = LAYOUT[onnxType];
  if (!l) throw new OnnxUnsupportedError(`${what}: element type ${onnxTypeName(onnxType)} is not supported (supported: ${supportedTypes()})`);
  return l.dtype;
}

export function supportedTypes(): string {
  return Object.keys(LAYOUT).map((k) => onnxTypeName(Number(k))).join(', ');
}

/** Reads an external data file by its `location` (relative to the model); undefined when there is none. */
export type ExternalData = (location: string) => Uint8Array | undefined;

function externalBytes(t: OnnxTensor, what: string, external: ExternalData | undefined): Uint8Array {
  const location = t.externalData.get('location');
  if (!location) throw new OnnxFormatError(`${what}: external data without a location`);
  const file = external?.(location);
  if (!file) throw new OnnxFormatError(`${what}: external data file ${JSON.stringify(location)} is missing`);
  const offset = Number(t.externalData.get('offset') ?? 0);
  const length = t.externalData.has('length') ? Number(t.externalData.get('length')) : file.length - offset;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > file.length) {
    throw new OnnxFormatError(`${what}: external data bytes [${offset}, ${offset + length}) lie outside ${JSON.stringify(location)} (${file.length} bytes)`);
  }
  return file.subarray(offset, offset + length);
}

const int32In = (v: number, what: string): number => {
  if (!(v >= -2147483648 && v <= 2147483647)) throw new OnnxUnsupportedError(`${what}: value ${v} does not fit smelt's 32-bit integers`);
  return v;
};

/** Element i of raw little-endian bytes of an ONNX type, as a number. */
function rawReader(type: number, bytes: Uint8Array): (i: number) => number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 1: return (i) => dv.getFloat32(4 * i, true);
    case 2: case 9: return (i) => dv.getUint8(i);
    case 3: return (i) => dv.getInt8(i);
    case 4: return (i) => dv.getUint16(2 * i, true);
    case 5: return (i) => dv.getInt16(2 * i, true);
    case 6: return (i) => dv.getInt32(4 * i, true);
    case 7: return (i) => Number(dv.getBigInt64(8 * i, true));
    case 10: return (i) => f16BitsToF32(dv.getUint16(2 * i, true));
    case 11: return (i) => dv.getFloat64(8 * i, true);
    case 12: return (i) => dv.getUint32(4 * i, true);
    case 16: return (i) => bf16BitsToF32(dv.getUint16(2 * i, true));
    default: throw new Error(`no reader for ${onnxTypeName(type)}`);
  }
}

/** The typed field that holds an element type's values when raw_data is absent. */
function fieldOf(t: OnnxTensor): number[] {
  switch (t.dataType) {
    case 1: return t.floatData;
    case 7: return t.int64Data;
    case 11: return t.doubleData;
    case 12: case 13: return t.uint64Data;
    case 10: case 16: return t.int32Data.map((b) => (t.dataType === 10 ? f16BitsToF32(b) : bf16BitsToF32(b)));
    default: return t.int32Data;
  }
}

/**
 * The tensor's values as int64-safe numbers in row-major order (for import-time evaluation), and
 * the smelt dtype they take. `what` names the tensor in errors.
 */
export function tensorValues(t: OnnxTensor, what: string, external?: ExternalData): { dtype: DType; shape: number[]; values: ArrayLike<number> } {
  const layout = LAYOUT[t.dataType];
  if (!layout) throw new OnnxUnsupportedError(`${what}: element type ${onnxTypeName(t.dataType)} is not supported (supported: ${supportedTypes()})`);
  const n = numel(t.dims);
  if (!Number.isSafeInteger(n)) throw new OnnxFormatError(`${what}: shape [${t.dims.join(', ')}] is too large`);
  const bytes = t.dataLocation === 1 ? externalBytes(t, what, external) : t.rawData;
  if (bytes) {
    if (bytes.length !== n * layout.size) {
      throw new OnnxFormatError(`${what}: ${bytes.length} bytes of data, but ${onnxTypeName(t.dataType)}[${t.dims.join(', ')}] needs ${n * layout.size}`);
    }
    if (t.dataType === 1 && bytes.byteOffset % 4 === 0) return { dtype: 'f32', shape: t.dims, values: new Float32Array(bytes.buffer, bytes.byteOffset, n) };
    const read = rawReader(t.dataType, bytes);
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = read(i);
    return { dtype: layout.dtype, shape: t.dims, values };
  }
  const field = fieldOf(t);
  if (field.length !== n) throw new OnnxFormatError(`${what}: ${field.length} values, but ${onnxTypeName(t.dataType)}[${t.dims.join(', ')}] needs ${n}`);
  return { dtype: layout.dtype, shape: t.dims, values: field };
}

/** The tensor as a smelt tensor (int64 narrowed to i32 with a range check). */
export function toSmeltTensor(t: OnnxTensor, what: string, external?: ExternalData): Tensor {
  const { dtype, shape, values } = tensorValues(t, what, external);
  if (values instanceof Float32Array) return tensor('f32', shape, values);
  const out = tensor(dtype, shape);
  const data = out.data as Float32Array | Int32Array | Uint8Array;
  for (let i = 0; i < values.length; i++) data[i] = dtype === 'i32' ? int32In(values[i], what) : dtype === 'bool' ? Number(values[i] !== 0) : values[i];
  return out;
}
