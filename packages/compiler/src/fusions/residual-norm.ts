// What the add-and-norm fusions share: finding the residual add under a norm and replacing both
// with the fused op, whose second result (the sum) takes over the add's readers.

import { type Node, type OpAttrs, type Value, producer, shapesEqual } from '@smelt/ir';
import type { Rewriter } from '../rewrite.ts';

/** `v = x + r` in f32 with x of v's own shape (r may broadcast), as [x, r]; undefined otherwise. */
export function residualAdd(v: Value): [Value, Value] | undefined {
  const add = producer(v);
  if (add?.op !== 'add' || v.type.dtype !== 'f32') return undefined;
  const [a, b] = add.inputs;
  if (shapesEqual(a.type.shape, v.type.shape)) return [a, b];
  if (shapesEqual(b.type.shape, v.type.shape)) return [b, a];
  return undefined;
}

/**
 * norm(x + r, params…) → fused(x, r, params…) = [norm, x + r], when the norm's first operand is
 * such an add; false (nothing changed) otherwise.
 */
export function foldResidualAdd<K extends 'add_layer_norm' | 'add_rms_norm'>(norm: Node, rw: Rewriter, fused: K, attrs: OpAttrs[K]): boolean {
  const sum = norm.inputs[0];
  const xr = residualAdd(sum);
  if (!xr) return false;
  const [normed, total] = rw.insertBefore(norm, fused, [...xr, ...norm.inputs.slice(1)], attrs);
  rw.replace(norm.outputs[0], normed);
  rw.replace(sum, total);
  return true;
}
