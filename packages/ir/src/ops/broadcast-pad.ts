// Movement ops that grow a tensor: expand (numpy broadcast to a larger shape, as torch's expand;
// it lowers to an elementwise copy, and canonicalization drops it where its reader broadcasts
// anyway) and pad (constant padding before and after each axis, as torch.nn.functional.pad).

import { allocArray } from '../dtype.ts';
import { type Dim, type Shape, broadcastDim, dimAdd, formatDims, formatType, resolveShape } from '../shape.ts';
import { type Tensor, numel, stridesOf } from '../tensor.ts';
import { broadcastIndex, describe, reader } from './ref-util.ts';
import type { OpDef } from './types.ts';

/** Whether `x` broadcasts to exactly `to` (right-aligned; each dim equal or 1). */
export function expandsTo(x: Shape, to: Shape): boolean {
  const off = to.length - x.length;
  return off >= 0 && x.every((d, i) => broadcastDim(d, to[i + off]) === to[i + off]);
}

const expand: OpDef<'expand'> = {
  summary: 'broadcast to a larger shape (right-aligned; each dim of x equal to the target or 1)',
  example: '%1 = expand(%0) {shape = [batch, 2, 4, seq, 64]} : f32[batch, 2, 4, seq, 64]',
  traits: ['movement'],
  operands: 1,
  attrs: { shape: { kind: 'dims' } },
  infer([x], attrs) {
    if (!expandsTo(x.shape, attrs.shape)) throw new Error(`cannot expand ${formatType(x)} to ${formatDims(attrs.shape)}: each dim must equal the target's or be 1`);
    return [{ dtype: x.dtype, shape: attrs.shape }];
  },
  evaluate([x], attrs, env) {
    const shape = resolveShape(attrs.shape, env);
    const idx = broadcastIndex(x.shape, shape);
    const out = allocArray(x.dtype, numel(shape));
    for (let k = 0; k < out.length; k++) (out as Float32Array)[k] = (x.data as Float32Array)[idx ? idx[k] : k];
    return [{ dtype: x.dtype, shape, data: out } as Tensor];
  },
};

/** The padded shape: each dim grown by its before and after amounts. */
export function paddedShape(shape: Shape, before: readonly number[], after: readonly number[]): Dim[] {
  return shape.map((d, i) => dimAdd(d, before[i] + after[i]));
}

const pad: OpDef<'pad'> = {
  summary: 'constant padding: before[i] and after[i] entries of `value` around each axis i',
  example: '%1 = pad(%0) {before = [0, 2], after = [0, 1], value = 0} : f32[batch, 67]',
  traits: ['movement'],
  operands: 1,
  attrs: { before: { kind: 'ints' }, after: { kind: 'ints' }, value: { kind: 'float' } },
  infer([x], attrs) {
    const r = x.shape.length;
    if (attrs.before.length !== r || attrs.after.length !== r) {
      throw new Error(`before [${attrs.before.join(', ')}] and after [${attrs.after.join(', ')}] need one amount per axis of ${describe([x])}`);
    }
    if ([...attrs.before, ...attrs.after].some((p) => p < 0)) throw new Error('pad amounts must be >= 0 (slice to crop)');
    if (x.dtype === 'f16' || x.dtype === 'i64') throw new Error(`pad needs f32, i32, u8 or bool (f16 and i64 are storage types), got ${describe([x])}`);
    return [{ dtype: x.dtype, shape: paddedShape(x.shape, attrs.before, attrs.after) }];
  },
  evaluate([x], attrs) {
    const shape = x.shape.map((d, i) => d + attrs.before[i] + attrs.after[i]);
    const out = allocArray(x.dtype, numel(shape)) as Float32Array;
    out.fill(x.dtype === 'bool' ? +(attrs.value !== 0) : attrs.value);
    const inStrides = stridesOf(x.shape);
    const outStrides = stridesOf(shape);
    const read = reader(x);
    for (let k = 0; k < x.data.length; k++) {
      let at = 0;
      for (let a = 0; a < shape.length; a++) at += (Math.floor(k / inStrides[a]) % x.shape[a] + attrs.before[a]) * outStrides[a];
      out[at] = read(k);
    }
    return [{ dtype: x.dtype, shape, data: out } as Tensor];
  },
};

export const GROW_OPS = { expand, pad } as const;
