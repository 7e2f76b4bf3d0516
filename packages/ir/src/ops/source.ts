// Source ops: constants (a tensor held in the graph) and iota (index along an axis, symbolic size allowed).

import { allocArray } from '../dtype.ts';
import { type TensorType, normAxis, resolveShape } from '../shape.ts';
import { numel, stridesOf } from '../tensor.ts';
import type { OpDef } from './types.ts';

const constant: OpDef<'constant'> = {
  summary: 'a tensor held in the graph',
  example: '%0 = constant() {value = dense<f32[], 0.125>} : f32[]',
  traits: ['source'],
  operands: 0,
  attrs: { value: { kind: 'tensor' } },
  infer(_inputs, attrs): TensorType[] {
    return [{ dtype: attrs.value.dtype, shape: attrs.value.shape }];
  },
  evaluate(_inputs, attrs) {
    return [attrs.value];
  },
};

const iota: OpDef<'iota'> = {
  summary: 'each element is its index along `axis`',
  example: '%0 = iota() {shape = [seq, seq], axis = 1, dtype = i32} : i32[seq, seq]',
  traits: ['source'],
  operands: 0,
  attrs: { shape: { kind: 'dims' }, axis: { kind: 'int' }, dtype: { kind: 'dtype' } },
  infer(_inputs, attrs) {
    if (attrs.dtype !== 'f32' && attrs.dtype !== 'i32') throw new Error(`dtype must be f32 or i32, got ${attrs.dtype}`);
    normAxis(attrs.axis, attrs.shape.length);
    return [{ dtype: attrs.dtype, shape: attrs.shape }];
  },
  evaluate(_inputs, attrs, env) {
    const shape = resolveShape(attrs.shape, env);
    const axis = normAxis(attrs.axis, shape.length);
    const stride = stridesOf(shape)[axis];
    const n = numel(shape);
    const out = allocArray(attrs.dtype, n) as Float32Array | Int32Array;
    for (let i = 0; i < n; i++) out[i] = Math.floor(i / stride) % shape[axis];
    return [{ dtype: attrs.dtype, shape, data: out }];
  },
};

export const SOURCE_OPS = { constant, iota } as const;
