// The exporter's side of the ONNX schema: smelt dtypes as ONNX element types, smelt tensors as
// TensorProto objects (raw little-endian bytes), value types as ValueInfoProto with symbolic dims as
// dim_param, and node attributes as AttributeProto. Plain objects in the field names of the
// official onnx.proto; protobufjs encodes them (export.ts), so no wire format is written here.

import type { DType, Tensor, TensorType } from '@smelt/ir';
import { ONNX_DTYPE } from '../tensors.ts';

export type ProtoObject = Record<string, unknown>;

/** The ONNX element type of each smelt dtype (every one has an exact counterpart). */
export const ELEM_TYPE: { readonly [D in DType]: number } = {
  f32: ONNX_DTYPE.FLOAT, f16: ONNX_DTYPE.FLOAT16, i32: ONNX_DTYPE.INT32, i64: ONNX_DTYPE.INT64, u8: ONNX_DTYPE.UINT8, bool: ONNX_DTYPE.BOOL,
};

export function tensorProto(name: string, t: Tensor): ProtoObject {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dims: [...t.shape], data_type: ELEM_TYPE[t.dtype], raw_data: Uint8Array.from(bytes) };
}

/** A value's declared type: sizes as dim_value, symbols and computed dims (`past + 1`) as dim_param text. */
export function valueInfo(name: string, type: TensorType): ProtoObject {
  const dim = type.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: ELEM_TYPE[type.dtype], shape: { dim } } } };
}

/** A node attribute: an int (booleans as 0/1), a list of ints, a float, or a string. */
export type AttrValue = number | boolean | readonly number[] | { readonly float: number } | { readonly text: string };

const TYPE = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

export function attributeProto(name: string, v: AttrValue): ProtoObject {
  if (typeof v === 'boolean') return { name, type: TYPE.INT, i: v ? 1 : 0 };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`attribute ${name} = ${v} is not an integer`);
    return { name, type: TYPE.INT, i: v };
  }
  if ('float' in v) return { name, type: TYPE.FLOAT, f: v.float };
  if ('text' in v) return { name, type: TYPE.STRING, s: new TextEncoder().encode(v.text) };
  return { name, type: TYPE.INTS, ints: [...(v as readonly number[])] };
}
