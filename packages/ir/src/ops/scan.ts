// Scans and selections along one axis: cumsum (inclusive or exclusive, forward or reversed; f32
// sums accumulate in double and round each result, as PyTorch's CPU kernel does) and topk (the k
// largest or smallest along an axis, sorted, ties by lower index; values and i32 indices).

import { type TensorType, formatType, normAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { reader, requireDTypes, splitAround } from './ref-util.ts';
import type { OpDef } from './types.ts';

const cumsum: OpDef<'cumsum'> = {
  summary: 'running sum along an axis; exclusive: the sum before each element; reverse: from the end',
  example: '%1 = cumsum(%0) {axis = -1, exclusive = false, reverse = false} : f32[batch, seq]',
  traits: [],
  operands: 1,
  attrs: { axis: { kind: 'int' }, exclusive: { kind: 'bool' }, reverse: { kind: 'bool' } },
  infer([x], attrs) {
    requireDTypes([x], ['f32', 'i32'], 'cumsum');
    normAxis(attrs.axis, x.shape.length);
    return [x];
  },
  evaluate([x], attrs) {
    const { outer, len, inner } = splitAround(x.shape, normAxis(attrs.axis, x.shape.length));
    const out = x.dtype === 'i32' ? new Int32Array(x.data.length) : new Float32Array(x.data.length);
    const read = reader(x);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let s = 0; s < len; s++) {
          const at = (o * len + (attrs.reverse ? len - 1 - s : s)) * inner + i;
          const v = read(at);
          if (!attrs.exclusive) acc = x.dtype === 'i32' ? (acc + v) | 0 : acc + v;
          out[at] = acc;
          if (attrs.exclusive) acc = x.dtype === 'i32' ? (acc + v) | 0 : acc + v;
        }
      }
    }
    return [{ dtype: x.dtype, shape: x.shape, data: out } as Tensor];
  },
};

/** Whether a comes before b in topk's order: larger (or smaller) first, NaN as the largest, ties by lower index. */
export function topkBefore(a: number, ia: number, b: number, ib: number, largest: boolean): boolean {
  const [an, bn] = [a !== a, b !== b];
  if (an || bn) return an && bn ? ia < ib : an === largest;
  return a !== b ? (largest ? a > b : a < b) : ia < ib;
}

function topkTypes(x: TensorType, attrs: { axis: number; k: number }): TensorType[] {
  requireDTypes([x], ['f32', 'i32'], 'topk');
  const axis = normAxis(attrs.axis, x.shape.length);
  const len = x.shape[axis];
  if (!Number.isSafeInteger(attrs.k) || attrs.k < 1) throw new Error(`k must be a positive integer, got ${attrs.k}`);
  if (typeof len === 'number' && attrs.k > len) throw new Error(`k = ${attrs.k} is more than dim ${len} of ${formatType(x)}`);
  const shape = [...x.shape];
  shape[axis] = attrs.k;
  return [{ dtype: x.dtype, shape }, { dtype: 'i32', shape }];
}

const topk: OpDef<'topk'> = {
  summary: 'the k largest (or smallest) elements along an axis, sorted, ties by lower index; results: values and i32 indices',
  example: '%1, %2 = topk(%0) {k = 5, axis = -1, largest = true} : f32[batch, 5], i32[batch, 5]',
  traits: [],
  operands: 1,
  attrs: { k: { kind: 'int' }, axis: { kind: 'int' }, largest: { kind: 'bool' } },
  infer([x], attrs) {
    return topkTypes(x, attrs);
  },
  evaluate([x], attrs) {
    const axis = normAxis(attrs.axis, x.shape.length);
    const { outer, len, inner } = splitAround(x.shape, axis);
    if (attrs.k > len) throw new Error(`topk: k = ${attrs.k} is more than dim ${len} of ${formatType(x)}`);
    const k = attrs.k;
    const values = x.dtype === 'i32' ? new Int32Array(outer * k * inner) : new Float32Array(outer * k * inner);
    const indices = new Int32Array(outer * k * inner);
    const read = reader(x);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const order = Array.from({ length: len }, (_, j) => j);
        const at = (j: number) => read((o * len + j) * inner + i);
        order.sort((p, q) => (topkBefore(at(p), p, at(q), q, attrs.largest) ? -1 : 1));
        for (let r = 0; r < k; r++) {
          values[(o * k + r) * inner + i] = at(order[r]);
          indices[(o * k + r) * inner + i] = order[r];
        }
      }
    }
    const shape = [...x.shape];
    shape[axis] = k;
    return [{ dtype: x.dtype, shape, data: values } as Tensor, { dtype: 'i32', shape, data: indices }];
  },
};

export const SCAN_OPS = { cumsum, topk } as const;
