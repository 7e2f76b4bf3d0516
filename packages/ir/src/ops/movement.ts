// Movement ops: reshape, transpose, slice, dynamic_slice, concat, split, gather. They move or copy
// elements and keep symbolic dims; a reshape proves element counts equal symbolically.

import { allocArray } from '../dtype.ts';
import {
  type Dim, type Shape, dimAdd, dimAtMost, dimSum, dimSymbols, formatDims, formatType, normAxis, resolveDim, resolveShape,
  sameElementCount,
} from '../shape.ts';
import { type Tensor, numel, stridesOf } from '../tensor.ts';
import { describe, reader } from './ref-util.ts';
import type { OpDef } from './types.ts';

type Elements = Tensor['data'];

function copyInto(dst: Elements, dstAt: number, src: Elements, srcAt: number, count: number): void {
  (dst as Float32Array).set((src as Float32Array).subarray(srcAt, srcAt + count), dstAt);
}

const reshape: OpDef<'reshape'> = {
  summary: 'same elements, new shape (element counts equal, symbols included)',
  example: '%1 = reshape(%0) {shape = [batch, seq, 4, 64]} : f32[batch, seq, 4, 64]',
  traits: ['movement'],
  operands: 1,
  attrs: { shape: { kind: 'dims' } },
  infer([x], attrs) {
    if (!sameElementCount(x.shape, attrs.shape)) {
      throw new Error(`cannot reshape ${formatType(x)} to ${formatDims(attrs.shape)}: element counts differ`);
    }
    return [{ dtype: x.dtype, shape: attrs.shape }];
  },
  evaluate([x], attrs, env) {
    const shape = resolveShape(attrs.shape, env);
    if (numel(shape) !== x.data.length) throw new Error(`reshape: ${formatDims(x.shape)} to ${formatDims(shape)} changes the element count`);
    return [{ dtype: x.dtype, shape, data: x.data }];
  },
};

export function transposeShape<D extends Dim>(shape: readonly D[], perm: readonly number[]): D[] {
  return perm.map((p) => shape[p]);
}

const transpose: OpDef<'transpose'> = {
  summary: 'permute axes: result axis i is input axis perm[i]',
  example: '%1 = transpose(%0) {perm = [0, 2, 1, 3]} : f32[batch, 4, seq, 64]',
  traits: ['movement'],
  operands: 1,
  attrs: { perm: { kind: 'ints' } },
  infer([x], attrs) {
    const r = x.shape.length;
    const ok = attrs.perm.length === r && [...attrs.perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!ok) throw new Error(`perm [${attrs.perm.join(', ')}] is not a permutation of the axes of ${formatType(x)}`);
    return [{ dtype: x.dtype, shape: transposeShape(x.shape, attrs.perm) }];
  },
  evaluate: ([x], attrs) => [transposeRef(x, attrs.perm)],
};

/** The reference transpose: result axis i is x's axis perm[i]. */
export function transposeRef(x: Tensor, perm: readonly number[]): Tensor {
  const shape = transposeShape(x.shape, perm);
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((p) => inStrides[p]);
  const n = x.data.length;
  const out = allocArray(x.dtype, n);
  const counter = new Array<number>(shape.length).fill(0);
  let src = 0;
  for (let k = 0; k < n; k++) {
    (out as Float32Array)[k] = (x.data as Float32Array)[src];
    for (let a = shape.length - 1; a >= 0; a--) {
      counter[a]++;
      src += strides[a];
      if (counter[a] < shape[a]) break;
      src -= strides[a] * counter[a];
      counter[a] = 0;
    }
  }
  return { dtype: x.dtype, shape, data: out };
}

/** Copy `size` entries starting at `start` along `axis` (concrete shapes). */
function sliceTensor(x: Tensor, axis: number, start: number, size: number): Tensor {
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const len = x.shape[axis];
  const out = allocArray(x.dtype, outer * size * inner);
  for (let o = 0; o < outer; o++) copyInto(out, o * size * inner, x.data, (o * len + start) * inner, size * inner);
  const shape = [...x.shape];
  shape[axis] = size;
  return { dtype: x.dtype, shape, data: out };
}

const slice: OpDef<'slice'> = {
  summary: 'take `size` entries from `start` along one axis (start and size may be computed dims)',
  example: '%1 = slice(%0) {axis = 1, start = past, size = 1} : f32[batch, 1, 64]',
  traits: ['movement'],
  operands: 1,
  attrs: { axis: { kind: 'int' }, start: { kind: 'dim' }, size: { kind: 'dim' } },
  infer([x], attrs) {
    const axis = normAxis(attrs.axis, x.shape.length);
    const { start, size } = attrs;
    // Refused when it provably runs past the end; a case that depends on symbol values is checked when it runs.
    const end = dimAdd(start, size);
    if (dimAtMost(end, x.shape[axis]) === false) {
      throw new Error(`[${start}, ${end}) is out of range for dim ${x.shape[axis]} of ${formatType(x)}`);
    }
    const shape = [...x.shape];
    shape[axis] = size;
    return [{ dtype: x.dtype, shape }];
  },
  evaluate([x], attrs, env) {
    const axis = normAxis(attrs.axis, x.shape.length);
    const start = resolveDim(attrs.start, env);
    const size = resolveDim(attrs.size, env);
    if (start + size > x.shape[axis]) {
      const symbols = [...new Set([...dimSymbols(attrs.start), ...dimSymbols(attrs.size)])];
      const values = symbols.map((s) => `${s} = ${env.get(s)}`).join(', ');
      throw new Error(`slice: [${start}, ${start + size}) is out of range for dim ${x.shape[axis]} of ${formatDims(x.shape)}${values ? ` (${values})` : ''}`);
    }
    return [sliceTensor(x, axis, start, size)];
  },
};

/**
 * The start of a dynamic_slice: the i32 scalar clamped into [0, len - size], as XLA's DynamicSlice
 * and jax.lax.dynamic_slice do, so every start gives a defined result on every backend.
 */
export function clampSliceStart(start: number, len: number, size: number): number {
  return Math.min(Math.max(start, 0), len - size);
}

const dynamic_slice: OpDef<'dynamic_slice'> = {
  summary: 'take `size` entries along one axis from a start read at run time (an i32 scalar operand, clamped into [0, len - size])',
  example: '%2 = dynamic_slice(%0, %1) {axis = 1, size = 1} : f32[batch, 1, 64]',
  traits: ['movement'],
  operands: 2,
  attrs: { axis: { kind: 'int' }, size: { kind: 'dim' } },
  infer([x, start], attrs) {
    const axis = normAxis(attrs.axis, x.shape.length);
    if (start.dtype !== 'i32' || start.shape.length !== 0) throw new Error(`the start must be an i32 scalar (shape []), got ${describe([start])}`);
    if (dimAtMost(attrs.size, x.shape[axis]) === false) {
      throw new Error(`size ${attrs.size} is larger than dim ${x.shape[axis]} of ${formatType(x)}`);
    }
    const shape = [...x.shape];
    shape[axis] = attrs.size;
    return [{ dtype: x.dtype, shape }];
  },
  evaluate([x, start], attrs, env) {
    const axis = normAxis(attrs.axis, x.shape.length);
    const size = resolveDim(attrs.size, env);
    const len = x.shape[axis];
    if (size > len) throw new Error(`dynamic_slice: size ${size} is larger than dim ${len} of ${formatDims(x.shape)}`);
    return [sliceTensor(x, axis, clampSliceStart(start.data[0] as number, len, size), size)];
  },
};

const concat: OpDef<'concat'> = {
  summary: 'join operands along an axis; other dims equal',
  example: '%2 = concat(%0, %1) {axis = 1} : f32[batch, 12]',
  traits: ['movement'],
  operands: [1, Infinity],
  attrs: { axis: { kind: 'int' } },
  infer(inputs, attrs) {
    const first = inputs[0];
    const axis = normAxis(attrs.axis, first.shape.length);
    for (const t of inputs) {
      const same = t.dtype === first.dtype && t.shape.length === first.shape.length && t.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!same) throw new Error(`operands must agree except along axis ${axis}: ${describe(inputs)}`);
    }
    const shape = [...first.shape];
    shape[axis] = dimSum(inputs.map((t) => t.shape[axis]));
    return [{ dtype: first.dtype, shape }];
  },
  evaluate(inputs, attrs) {
    const axis = normAxis(attrs.axis, inputs[0].shape.length);
    const outer = numel(inputs[0].shape.slice(0, axis));
    const inner = numel(inputs[0].shape.slice(axis + 1));
    const total = inputs.reduce((s, t) => s + t.shape[axis], 0);
    const out = allocArray(inputs[0].dtype, outer * total * inner);
    let at = 0;
    for (const t of inputs) {
      const w = t.shape[axis] * inner;
      for (let o = 0; o < outer; o++) copyInto(out, o * total * inner + at, t.data, o * w, w);
      at += w;
    }
    const shape = [...inputs[0].shape];
    shape[axis] = total;
    return [{ dtype: inputs[0].dtype, shape, data: out }];
  },
};

const split: OpDef<'split'> = {
  summary: 'cut an axis into consecutive pieces of the given sizes',
  example: '%1, %2, %3 = split(%0) {axis = -1, sizes = [64, 64, 64]} : f32[batch, seq, 64], ...',
  traits: ['movement'],
  operands: 1,
  attrs: { axis: { kind: 'int' }, sizes: { kind: 'dims' } },
  infer([x], attrs) {
    const axis = normAxis(attrs.axis, x.shape.length);
    if (attrs.sizes.length === 0) throw new Error('sizes is empty');
    const total = dimSum(attrs.sizes);
    if (total !== x.shape[axis]) throw new Error(`sizes ${formatDims(attrs.sizes)} do not add up to dim ${x.shape[axis]} of ${formatType(x)}`);
    return attrs.sizes.map((d) => {
      const shape = [...x.shape];
      shape[axis] = d;
      return { dtype: x.dtype, shape };
    });
  },
  evaluate([x], attrs, env) {
    const axis = normAxis(attrs.axis, x.shape.length);
    let start = 0;
    return attrs.sizes.map((d) => {
      const size = resolveDim(d, env);
      const piece = sliceTensor(x, axis, start, size);
      start += size;
      return piece;
    });
  },
};

const gather: OpDef<'gather'> = {
  summary: 'pick slices of a table by integer indices along an axis (embedding lookup)',
  example: '%2 = gather(%0, %1) {axis = 0} : f32[batch, seq, 256]',
  traits: ['movement'],
  operands: 2,
  attrs: { axis: { kind: 'int' } },
  infer([table, idx], attrs) {
    const axis = normAxis(attrs.axis, table.shape.length);
    if (!['i32', 'i64', 'u8'].includes(idx.dtype)) throw new Error(`indices must be i32, i64 or u8, got ${describe([table, idx])}`);
    const shape: Shape = [...table.shape.slice(0, axis), ...idx.shape, ...table.shape.slice(axis + 1)];
    return [{ dtype: table.dtype, shape }];
  },
  evaluate([table, idx], attrs) {
    const axis = normAxis(attrs.axis, table.shape.length);
    const outer = numel(table.shape.slice(0, axis));
    const len = table.shape[axis];
    const inner = numel(table.shape.slice(axis + 1));
    const count = idx.data.length;
    const out = allocArray(table.dtype, outer * count * inner);
    const read = reader(idx);
    for (let i = 0; i < count; i++) {
      const at = read(i);
      if (!(at >= 0 && at < len)) throw new Error(`gather: index ${at} at position ${i} is out of range [0, ${len})`);
      for (let o = 0; o < outer; o++) copyInto(out, (o * count + i) * inner, table.data, (o * len + at) * inner, inner);
    }
    const shape = [...table.shape.slice(0, axis), ...idx.shape, ...table.shape.slice(axis + 1)];
    return [{ dtype: table.dtype, shape, data: out }];
  },
};

export const MOVEMENT_OPS = { reshape, transpose, slice, dynamic_slice, concat, split, gather } as const;

