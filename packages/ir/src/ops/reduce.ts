// Reductions (sum, mean, max, min over axes, with keepdims) and argmax.

import type { DType } from '../dtype.ts';
import { type Dim, type TensorType, formatType, normAxis } from '../shape.ts';
import { type Tensor, numel, stridesOf } from '../tensor.ts';
import { reader, requireDTypes } from './ref-util.ts';
import type { OpDef } from './types.ts';

type ReduceKind = 'reduce_sum' | 'reduce_mean' | 'reduce_max' | 'reduce_min';

function normAxes(axes: readonly number[], rank: number, t: TensorType): number[] {
  const out = axes.map((a) => {
    try {
      return normAxis(a, rank);
    } catch {
      throw new Error(`axis ${a} is out of range for ${formatType(t)}`);
    }
  });
  if (new Set(out).size !== out.length) throw new Error(`axes [${axes.join(', ')}] repeat an axis`);
  return out.sort((a, b) => a - b);
}

function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** For each input element, the flat index of the output element it reduces into. */
function reduceTargets(shape: readonly number[], axes: readonly number[]): { targets: Int32Array; size: number } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept).map((s, i) => (axes.includes(i) ? 0 : s));
  const n = numel(shape);
  const targets = new Int32Array(n);
  const counter = new Array<number>(shape.length).fill(0);
  let dst = 0;
  for (let k = 0; k < n; k++) {
    targets[k] = dst;
    for (let a = shape.length - 1; a >= 0; a--) {
      counter[a]++;
      dst += keptStrides[a];
      if (counter[a] < shape[a]) break;
      dst -= keptStrides[a] * counter[a];
      counter[a] = 0;
    }
  }
  return { targets, size: numel(kept) };
}

function reduceDef<K extends ReduceKind>(kind: K, init: number, combine: (acc: number, x: number) => number): OpDef<K> {
  return {
    summary: `${kind.slice(7)} over axes`,
    example: `%1 = ${kind}(%0) {axes = [-1], keepdims = true} : f32[batch, seq, 1]`,
    traits: ['reduction'],
    operands: 1,
    attrs: { axes: { kind: 'ints' }, keepdims: { kind: 'bool' } } as OpDef<K>['attrs'],
    infer([x], attrs) {
      requireDTypes([x], kind === 'reduce_mean' ? ['f32'] : ['f32', 'i32'], kind);
      const axes = normAxes(attrs.axes, x.shape.length, x);
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, attrs.keepdims) }];
    },
    evaluate([x], attrs) {
      const axes = normAxes(attrs.axes, x.shape.length, x);
      const { targets, size } = reduceTargets(x.shape, axes);
      const acc = new Float64Array(size).fill(init);
      const read = reader(x);
      for (let k = 0; k < targets.length; k++) acc[targets[k]] = combine(acc[targets[k]], read(k));
      if (kind === 'reduce_mean') {
        const count = size === 0 ? 1 : targets.length / size;
        for (let i = 0; i < size; i++) acc[i] /= count;
      }
      const shape = reducedShape(x.shape, axes, attrs.keepdims) as number[];
      const data = x.dtype === 'i32' ? Int32Array.from(acc) : Float32Array.from(acc);
      return [{ dtype: x.dtype, shape, data } as Tensor];
    },
  };
}

const maxOf = (a: number, x: number) => (x > a || x !== x ? x : a);
const minOf = (a: number, x: number) => (x < a || x !== x ? x : a);

const argmax: OpDef<'argmax'> = {
  summary: 'index of the largest element along an axis (first on ties), as i32',
  example: '%1 = argmax(%0) {axis = -1, keepdims = false} : i32[batch]',
  traits: ['reduction'],
  operands: 1,
  attrs: { axis: { kind: 'int' }, keepdims: { kind: 'bool' } },
  infer([x], attrs) {
    requireDTypes([x], ['f32', 'i32'], 'argmax');
    const axis = normAxis(attrs.axis, x.shape.length);
    return [{ dtype: 'i32' as DType, shape: reducedShape(x.shape, [axis], attrs.keepdims) }];
  },
  evaluate([x], attrs) {
    const axis = normAxis(attrs.axis, x.shape.length);
    const len = x.shape[axis];
    const inner = numel(x.shape.slice(axis + 1));
    const outer = numel(x.shape.slice(0, axis));
    const out = new Int32Array(outer * inner);
    const read = reader(x);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = -Infinity;
        let at = 0;
        for (let j = 0; j < len; j++) {
          const v = read((o * len + j) * inner + i);
          if (v > best) { best = v; at = j; }
        }
        out[o * inner + i] = at;
      }
    }
    return [{ dtype: 'i32', shape: reducedShape(x.shape, [axis], attrs.keepdims) as number[], data: out }];
  },
};

export const REDUCE_OPS = {
  reduce_sum: reduceDef('reduce_sum', 0, (a, x) => a + x),
  reduce_mean: reduceDef('reduce_mean', 0, (a, x) => a + x),
  reduce_max: reduceDef('reduce_max', -Infinity, maxOf),
  reduce_min: reduceDef('reduce_min', Infinity, minOf),
  argmax,
} as const;
