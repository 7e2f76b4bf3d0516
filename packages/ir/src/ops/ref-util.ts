// Helpers shared by the reference evaluations: broadcasting iteration, reading any
// tensor as numbers, and the error messages the shape rules share.

import { type DType, allocArray } from '../dtype.ts';
import { type Shape, type TensorType, broadcastShapes, formatType, shapesEqual } from '../shape.ts';
import { type Tensor, numel, stridesOf } from '../tensor.ts';

/** Strides of `shape` seen through a broadcast to `outShape` (0 where broadcast). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, j) => {
    const i = j - off;
    return i < 0 || shape[i] === 1 ? 0 : own[i];
  });
}

/** Flat source index of every output element for an operand broadcast to `outShape`. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return null;
  const n = numel(outShape);
  const strides = broadcastStrides(shape, outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const counter = new Array<number>(rank).fill(0);
  let src = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = src;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]++;
      src += strides[a];
      if (counter[a] < outShape[a]) break;
      src -= strides[a] * counter[a];
      counter[a] = 0;
    }
  }
  return idx;
}

/** Read element i of any tensor as a JS number (i64 through Number, f16 decoded by the caller's cast). */
export type NumberReader = (i: number) => number;

export function reader(t: Tensor): NumberReader {
  const d = t.data;
  if (d instanceof BigInt64Array) return (i) => Number(d[i]);
  return (i) => d[i] as number;
}

/** Elementwise map over broadcast operands into a fresh tensor of `dtype`. */
export function mapElements(inputs: readonly Tensor[], dtype: DType, fn: (...xs: number[]) => number): Tensor {
  const outShape = broadcastShapes(inputs.map((t) => t.shape)) as number[];
  const n = numel(outShape);
  const out = allocArray(dtype, n);
  // i64 is stored as bigint; its values pass through fn as numbers (exact to 2^53).
  const store = dtype === 'i64' ? (k: number, v: number) => ((out as BigInt64Array)[k] = BigInt(v)) : (k: number, v: number) => ((out as Float32Array)[k] = v);
  const readers = inputs.map(reader);
  const idx = inputs.map((t) => broadcastIndex(t.shape, outShape));
  const args = new Array<number>(inputs.length);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < inputs.length; j++) {
      const ix = idx[j];
      args[j] = readers[j](ix === null ? k : ix[k]);
    }
    store(k, fn(...args));
  }
  return { dtype, shape: outShape, data: out };
}

export function describe(inputs: readonly TensorType[]): string {
  return inputs.map(formatType).join(', ');
}

export function requireDTypes(inputs: readonly TensorType[], allowed: readonly DType[], what: string): void {
  for (const t of inputs) {
    if (!allowed.includes(t.dtype)) {
      throw new Error(`${what} needs ${allowed.join(' or ')}, got ${describe(inputs)}`);
    }
  }
}

export function requireRank(t: TensorType, min: number, what: string): void {
  if (t.shape.length < min) throw new Error(`${what} needs rank >= ${min}, got ${formatType(t)}`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Whether `t` broadcasts to `to`'s shape (without growing it). */
export function broadcastsTo(t: TensorType, to: TensorType): boolean {
  try {
    return shapesEqual(broadcastShapes([to.shape, t.shape]), to.shape);
  } catch {
    return false;
  }
}

/** Outer count, length and inner size of a concrete shape around `axis`. */
export function splitAround(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  return { outer: numel(shape.slice(0, axis)), len: shape[axis], inner: numel(shape.slice(axis + 1)) };
}
