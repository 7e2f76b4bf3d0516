// Normalizations: softmax along an axis and LayerNorm over the last axis (weight and bias operands).

import { type TensorType, formatType, normAxis } from '../shape.ts';
import { describe, requireDTypes } from './ref-util.ts';
import { layerNormRows, softmaxRows, splitAround } from './rows.ts';
import type { OpDef } from './types.ts';

const softmax: OpDef<'softmax'> = {
  summary: 'exp(x - max) / sum(exp(x - max)) along an axis',
  example: '%1 = softmax(%0) {axis = -1} : f32[batch, 4, seq, seq]',
  traits: [],
  operands: 1,
  attrs: { axis: { kind: 'int' } },
  infer([x], attrs) {
    requireDTypes([x], ['f32'], 'softmax');
    normAxis(attrs.axis, x.shape.length);
    return [x];
  },
  evaluate([x], attrs) {
    const { outer, len, inner } = splitAround(x.shape, normAxis(attrs.axis, x.shape.length));
    const out = new Float32Array(x.data.length);
    softmaxRows(Float64Array.from(x.data as Float32Array), out, outer, len, inner);
    return [{ dtype: 'f32', shape: x.shape, data: out }];
  },
};

/** The LayerNorm operand rule shared with add_layer_norm: weight and bias are [width] of x's last dim. */
export function checkLayerNormParams(x: TensorType, w: TensorType, b: TensorType): void {
  requireDTypes([x, w, b], ['f32'], 'layer_norm');
  if (x.shape.length < 1) throw new Error(`needs rank >= 1, got ${formatType(x)}`);
  const width = x.shape[x.shape.length - 1];
  for (const p of [w, b]) {
    if (p.shape.length !== 1 || p.shape[0] !== width) {
      throw new Error(`weight and bias must be [${width}] (the last dim of x), got ${describe([x, w, b])}`);
    }
  }
}

const layerNorm: OpDef<'layer_norm'> = {
  summary: 'normalize the last axis to zero mean and unit variance, then scale and shift',
  example: '%3 = layer_norm(%0, %1, %2) {eps = 0.00001} : f32[batch, seq, 256]',
  traits: [],
  operands: 3,
  attrs: { eps: { kind: 'float' } },
  infer([x, w, b]) {
    checkLayerNormParams(x, w, b);
    return [x];
  },
  evaluate([x, w, b], attrs) {
    const out = new Float32Array(x.data.length);
    const width = x.shape[x.shape.length - 1];
    layerNormRows(x.data as Float32Array, w.data as Float32Array, b.data as Float32Array, attrs.eps, out, width);
    return [{ dtype: 'f32', shape: x.shape, data: out }];
  },
};

export const NORM_OPS = { softmax, layer_norm: layerNorm } as const;
