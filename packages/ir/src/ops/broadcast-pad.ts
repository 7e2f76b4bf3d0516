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

export const GROW_OPS = { expand } as const;
