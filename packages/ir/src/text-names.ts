// Spelling of names and tensor literals in the textual IR, shared by the printer and parser.
// Any string is a legal name: bare when it is a plain (dotted) identifier, JSON-quoted otherwise.

import { formatNumber } from './attrs.ts';
import { base64ToBytes, bytesToBase64 } from './base64.ts';
import { type DType, allocArray } from './dtype.ts';
import { parseNumberLiteral } from './expr.ts';
import { formatDims } from './shape.ts';
import { type Tensor, numel } from './tensor.ts';

const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
/** Bare words the lexer reads as numbers. */
const RESERVED = new Set(['inf', 'nan']);

export function spellName(name: string): string {
  return BARE_NAME.test(name) && !RESERVED.has(name) ? name : JSON.stringify(name);
}

/** Tensors up to this many elements print as a readable list; larger ones as base64 bytes. */
const LIST_LIMIT = 16;

function listable(dtype: DType): boolean {
  return dtype === 'f32' || dtype === 'i32' || dtype === 'u8' || dtype === 'bool';
}

export function formatTensorLiteral(t: Tensor): string {
  const type = `${t.dtype}${formatDims(t.shape)}`;
  if (listable(t.dtype) && t.data.length <= LIST_LIMIT) {
    const items = Array.from(t.data as ArrayLike<number>, formatNumber);
    return t.shape.length === 0 ? `dense<${type}, ${items[0]}>` : `dense<${type}, [${items.join(', ')}]>`;
  }
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return `dense<${type}, "base64:${bytesToBase64(bytes)}">`;
}

/** Build a tensor from a dense literal's payload: a number, a list of numbers, or "base64:...". */
export function tensorFromPayload(dtype: DType, shape: number[], payload: number | readonly number[] | string): Tensor {
  const n = numel(shape);
  const data = allocArray(dtype, n);
  if (typeof payload === 'string') {
    if (!payload.startsWith('base64:')) throw new Error('dense payload string must start with "base64:"');
    const bytes = base64ToBytes(payload.slice(7));
    if (bytes.length !== data.byteLength) {
      throw new Error(`dense ${dtype}${formatDims(shape)} needs ${data.byteLength} bytes, payload has ${bytes.length}`);
    }
    new Uint8Array(data.buffer).set(bytes);
    return { dtype, shape, data };
  }
  if (!listable(dtype)) throw new Error(`dense ${dtype} needs a base64 payload`);
  const items = typeof payload === 'number' ? [payload] : payload;
  if (items.length !== n) throw new Error(`dense ${dtype}${formatDims(shape)} needs ${n} values, got ${items.length}`);
  (data as Float32Array).set(items);
  return { dtype, shape, data };
}

export { parseNumberLiteral };
