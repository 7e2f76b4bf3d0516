// Concrete tensors: a dtype, a fixed shape and a typed array in row-major order.
// This is what the interpreter computes on and what safetensors files load into.

import { type DType, type TypedArrayOf, allocArray } from './dtype.ts';

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOf<D>;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor<D extends DType>(dtype: D, shape: readonly number[], data?: TypedArrayOf<D>): Tensor<D> {
  const n = numel(shape);
  const arr = data ?? allocArray(dtype, n);
  if (arr.length !== n) {
    throw new Error(`tensor: data has ${arr.length} elements, shape [${shape.join(', ')}] needs ${n}`);
  }
  return { dtype, shape: [...shape], data: arr };
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}
