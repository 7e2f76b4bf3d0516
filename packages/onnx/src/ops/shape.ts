// Shape and movement ops. Shape, ConstantOfShape, Range, Constant and every op over static values
// evaluate at import (the shape subgraphs exporters write); Reshape, Slice, Expand and friends
// take their targets from those static values, so the graph gets dims (`2 * batch`), never a
// run-time shape tensor. Trilu over a filled square becomes the DSL's causal mask
// (where(col > row, -inf, 0)), which the attention fusion turns into its `causal` flag.

import {
  type Dim, type Var, concat, dimProductOf, dimSub, gather, iota, normAxis, scalar, split, where,
} from '@smelt/ir';
import type { NodeContext } from '../context.ts';
import { dimDivide } from '../dims.ts';
import { concatStatic, gatherStatic, mapStatic, reshapeStatic, sliceStatic } from '../static.ts';
import { type El, STATIC_LIMIT, type Static, type Val, asDim, asStatic, dtypeOfVal, elAdd, elSub, shapeOfVal, staticOf } from '../values.ts';
import type { Converter } from './types.ts';

const dimsOf = (c: NodeContext, s: Static, what: string): Dim[] =>
  s.values.map((e) => {
    try {
      return asDim(e, what);
    } catch (err) {
      return c.unsupported((err as Error).message);
    }
  });

/** A value with a new shape (same elements in order). */
export function reshaped(c: NodeContext, x: Val, shape: readonly Dim[]): Val {
  if (x.kind === 'fill') return { ...x, shape };
  const s = asStatic(x);
  if (s && x.kind !== 'weight' && shape.every((d) => typeof d === 'number')) return reshapeStatic(s, shape as number[]);
  return { kind: 'var', v: c.toVar(x, 'input 0').reshape(shape) };
}

const shapeOp: Converter = (c) => {
  const dims = shapeOfVal(c.input(0));
  const rank = dims.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const picked = dims.slice(clamp(c.int('start', 0)), clamp(c.int('end', rank)));
  return [staticOf('i32', [picked.length], picked)];
};

const constantOp: Converter = (c) => {
  const t = c.tensorAttr('value');
  const f = c.hasAttr('value_float') ? [c.float('value_float', 0)] : undefined;
  const fs = c.floatList('value_floats');
  const i = c.int('value_int');
  const is = c.intList('value_ints');
  if (t) return [t.kind === 'weight' ? t : asStatic(t) ?? t];
  if (f) return [staticOf('f32', [], f)];
  if (fs) return [staticOf('f32', [fs.length], fs)];
  if (i !== undefined) return [staticOf('i32', [], [i])];
  if (is) return [staticOf('i32', [is.length], is)];
  return c.unsupported('has none of the attributes value, value_float(s), value_int(s) (sparse and string constants are not supported)');
};

const constantOfShape: Converter = (c) => {
  const shape = dimsOf(c, c.static(0, 'the shape'), 'ConstantOfShape shape');
  const attr = c.tensorAttr('value');
  const t = attr && asStatic(attr);
  if (attr && (!t || t.values.length !== 1)) c.malformed('attribute value must hold one element');
  const dtype = t?.dtype ?? 'f32';
  const value = t ? Number(t.values[0]) : 0;
  const fill: Val = { kind: 'fill', dtype, shape, value };
  return [asStatic(fill) ?? fill];
};

const rangeOp: Converter = (c) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => {
    const s = c.static(i, ['start', 'limit', 'delta'][i]);
    if (s.values.length !== 1) c.malformed(`input ${i} must be a scalar`);
    return s.values[0];
  });
  const dtype = dtypeOfVal(c.input(0));
  if (typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number') {
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    if (n <= STATIC_LIMIT) return [staticOf(dtype, [n], Array.from({ length: n }, (_, k) => start + k * delta))];
  }
  if (delta !== 1 || typeof start !== 'number') c.unsupported(`Range(${start}, ${limit}, ${delta}) over symbolic sizes needs delta 1 and a numeric start`);
  let positions: Var = iota(c.b, [asDim(elSub(limit, start), 'Range length')], 0, dtype === 'f32' ? 'f32' : 'i32');
  if (start !== 0) positions = positions.add(start as number);
  return [{ kind: 'var', v: positions }];
};

/** Reshape's target: 0 copies the input dim (unless allowzero), -1 is what the element count leaves. */
function reshapeTarget(c: NodeContext, inShape: readonly Dim[], target: Static): Dim[] {
  const allowZero = c.int('allowzero', 0) === 1;
  let infer = -1;
  const dims = target.values.map((e, i): Dim => {
    if (e === 0 && !allowZero) {
      if (i >= inShape.length) c.malformed(`shape entry ${i} is 0 (copy), but the input has rank ${inShape.length}`);
      return inShape[i];
    }
    if (e === -1) {
      if (infer >= 0) c.malformed('shape has more than one -1');
      infer = i;
      return 1;
    }
    return dimsOf(c, staticOf('i32', [1], [e]), 'Reshape shape')[0];
  });
  if (infer >= 0) {
    const rest = dimProductOf(dims);
    const total = dimProductOf(inShape);
    const d = dimDivide(total, rest);
    if (d === undefined) c.unsupported(`cannot infer the -1 of shape [${target.values.join(', ')}]: ${total} elements over ${rest}`);
    dims[infer] = d;
  }
  return dims;
}

const reshapeOp: Converter = (c) => {
  const x = c.input(0);
  return [reshaped(c, x, reshapeTarget(c, shapeOfVal(x), c.static(1, 'the shape')))];
};

const flattenOp: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOfVal(x);
  const axis = normAxis(c.int('axis', 1), shape.length + 1);
  return [reshaped(c, x, [dimProductOf(shape.slice(0, axis)), dimProductOf(shape.slice(axis))])];
};

/** Axes from the input (opset 13+) or the attribute (before). */
function axesOf(c: NodeContext, inputIndex: number): number[] | undefined {
  return c.has(inputIndex) ? c.ints(inputIndex, 'axes') : c.intList('axes');
}

const squeezeOp: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOfVal(x);
  const axes = axesOf(c, 1)?.map((a) => normAxis(a, shape.length)) ?? shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (shape[a] !== 1) c.unsupported(`cannot squeeze axis ${a} of size ${shape[a]}`);
  return [reshaped(c, x, shape.filter((_, i) => !axes.includes(i)))];
};

const unsqueezeOp: Converter = (c) => {
  const x = c.input(0);
  const shape = [...shapeOfVal(x)];
  const rank = shape.length + (axesOf(c, 1)?.length ?? 0);
  const axes = (axesOf(c, 1) ?? c.malformed('has no axes')).map((a) => normAxis(a, rank)).sort((a, b) => a - b);
  for (const a of axes) shape.splice(a, 0, 1);
  return [reshaped(c, x, shape)];
};

const concatOp: Converter = (c) => {
  const vals = c.node.inputs.map((_, i) => c.input(i));
  const rank = shapeOfVal(vals[0]).length;
  const axis = normAxis(c.int('axis') ?? c.malformed('has no axis'), rank);
  const statics = vals.map(asStatic);
  if (statics.every((s) => s !== undefined)) return [concatStatic(statics as Static[], axis)];
  return [{ kind: 'var', v: concat(vals.map((v, i) => c.toVar(v, `input ${i}`)), axis) }];
};

const splitOp: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOfVal(x);
  const axis = normAxis(c.int('axis', 0), shape.length);
  const n = c.node.outputs.length;
  let sizes: Dim[] | undefined = c.has(1) ? c.ints(1, 'split') : c.intList('split');
  if (!sizes) {
    const d = dimDivide(shape[axis], n) ?? c.unsupported(`cannot split size ${shape[axis]} into ${n} equal parts`);
    sizes = new Array<Dim>(n).fill(d);
  }
  if (sizes.length !== n) c.malformed(`split has ${sizes.length} sizes for ${n} outputs`);
  return splitValue(c, x, axis, sizes);
};

/** x cut along `axis` into pieces of the given sizes: static pieces when x is known at import. */
export function splitValue(c: NodeContext, x: Val, axis: number, sizes: readonly Dim[]): Val[] {
  const s = asStatic(x);
  if (s && x.kind !== 'weight' && typeof shapeOfVal(x)[axis] === 'number' && sizes.every((d) => typeof d === 'number')) {
    let at = 0;
    return sizes.map((size) => {
      const part = sliceStatic(s, axis, at, size as number, 1);
      at += size as number;
      return part;
    });
  }
  return split(c.toVar(x, 'input 0'), sizes, axis).map((v) => ({ kind: 'var', v }));
}

const BIG = 2 ** 31 - 1;

/** [start, size) of a Slice along a dim of size d: negative indices count from the end, ends clamp. */
function sliceRange(c: NodeContext, d: Dim, start: El, end: El): [Dim, Dim] {
  const norm = (e: El, isEnd: boolean): El => {
    if (typeof e !== 'number') return e;
    if (e >= BIG) return d;
    if (e < 0) {
      if (e <= -BIG) return 0;
      return typeof d === 'number' ? Math.max(d + e, 0) : elAdd(d, e);
    }
    return typeof d === 'number' ? Math.min(e, d) : isEnd ? e : e;
  };
  const s = norm(start, false);
  const e = norm(end, true);
  try {
    const size = typeof s === 'number' && typeof e === 'number' ? Math.max(e - s, 0) : dimSub(e, s);
    return [asDim(s, 'Slice start'), size];
  } catch (err) {
    return c.unsupported(`slice [${start}, ${end}) of a dim of size ${d}: ${(err as Error).message}`);
  }
}

const sliceOp: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOfVal(x);
  const starts = c.static(1, 'starts').values;
  const ends = c.static(2, 'ends').values;
  const axes = c.has(3) ? c.ints(3, 'axes').map((a) => normAxis(a, shape.length)) : starts.map((_, i) => i);
  const steps = c.has(4) ? c.ints(4, 'steps') : starts.map(() => 1);
  if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length) {
    c.malformed('starts, ends, axes and steps differ in length');
  }
  let s = asStatic(x);
  let v: Var | undefined;
  axes.forEach((axis, i) => {
    const step = steps[i];
    if (s && step > 0 && typeof starts[i] === 'number' && typeof ends[i] === 'number') {
      const [start, size] = sliceRange(c, s.shape[axis], starts[i], ends[i]);
      s = sliceStatic(s, axis, start as number, Math.ceil((size as number) / step), step);
      return;
    }
    if (step !== 1) c.badAttr('steps', steps, 'step 1 on tensors; any positive step on values known at import');
    v ??= c.toVar(s ?? x, 'input 0');
    const [start, size] = sliceRange(c, v.shape[axis], starts[i], ends[i]);
    v = v.slice(axis, start, size);
  });
  return [v ? { kind: 'var', v } : s ?? x];
};

const gatherOp: Converter = (c) => {
  const data = c.input(0);
  const shape = shapeOfVal(data);
  const axis = normAxis(c.int('axis', 0), shape.length);
  const ds = asStatic(data);
  const is = asStatic(c.input(1));
  if (ds && is && data.kind !== 'weight' && is.values.every((e) => typeof e === 'number')) {
    try {
      return [gatherStatic(ds, is, axis)];
    } catch (e) {
      c.malformed((e as Error).message);
    }
  }
  if (is && typeof shape[axis] === 'number') {
    const n = shape[axis] as number;
    const norm = is.values.map((e) => (typeof e === 'number' && e < 0 ? e + n : e));
    return [{ kind: 'var', v: gather(c.toVar(data, 'input 0'), c.toVar(staticOf('i32', is.shape, norm), 'input 1'), axis) }];
  }
  return [{ kind: 'var', v: gather(c.toVar(data, 'input 0'), c.var(1), axis) }];
};

const expandOp: Converter = (c) => {
  const x = c.input(0);
  const xs = shapeOfVal(x);
  const target = dimsOf(c, c.static(1, 'the shape'), 'Expand shape');
  const rank = Math.max(xs.length, target.length);
  const pad = <T>(a: readonly T[], one: T) => [...new Array<T>(rank - a.length).fill(one), ...a];
  const [px, pt] = [pad<Dim>(xs, 1), pad<Dim>(target, 1)];
  const out = px.map((d, i) => (pt[i] === 1 ? d : d === 1 || d === pt[i] ? pt[i] : c.unsupported(`cannot expand [${xs.join(', ')}] to [${target.join(', ')}]`)));
  if (x.kind === 'fill') return [{ ...x, shape: out }];
  const s = asStatic(x);
  if (s && out.every((d) => typeof d === 'number')) return [mapStatic([s, staticOf(s.dtype, out as number[], [])], s.dtype, ([e]) => e)];
  const v = c.toVar(x, 'input 0');
  if (out.every((d, i) => d === px[i]) && xs.length === rank) return [{ kind: 'var', v }];
  return [{ kind: 'var', v: v.expand(out) }];
};

const transposeOp: Converter = (c) => {
  const v = c.var(0);
  const perm = c.intList('perm') ?? v.shape.map((_, i) => v.rank - 1 - i);
  return [{ kind: 'var', v: v.transpose(perm) }];
};

const triluOp: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOfVal(x);
  if (shape.length < 2) c.malformed(`needs rank 2 or more, got [${shape.join(', ')}]`);
  const k = c.has(1) ? c.ints(1, 'k')[0] : 0;
  const upper = c.int('upper', 1) === 1;
  const [m, n] = shape.slice(-2);
  const row = iota(c.b, [m, n], 0);
  const col = iota(c.b, [m, n], 1);
  // upper keeps col - row >= k; lower keeps col - row <= k (written as the DSL writes causal masks)
  const keep = upper
    ? (k === 1 ? col.gt(row) : k === 0 ? col.ge(row) : col.ge(row.add(k)))
    : (k === -1 ? col.lt(row) : k === 0 ? col.le(row) : col.le(row.add(k)));
  if (x.kind === 'fill' && shape.length === 2) {
    // a bool fill of true is the kept pattern itself; any other keeps the fill's dtype (f32: nn.causalMask's form)
    if (x.dtype === 'bool') return [{ kind: 'var', v: x.value !== 0 ? keep : scalar(c.b, 0, 'bool').expand([m, n]) }];
    return [{ kind: 'var', v: where(keep, scalar(c.b, x.value, x.dtype), scalar(c.b, 0, x.dtype)) }];
  }
  const v = c.toVar(x, 'input 0');
  return [{ kind: 'var', v: where(keep, v, scalar(c.b, 0, v.dtype)) }];
};

export const SHAPE_OPS: Record<string, Converter> = {
  Shape: shapeOp, Constant: constantOp, ConstantOfShape: constantOfShape, Range: rangeOp, Reshape: reshapeOp,
  Flatten: flattenOp, Squeeze: squeezeOp, Unsqueeze: unsqueezeOp, Concat: concatOp, Split: splitOp, Slice: sliceOp,
  Gather: gatherOp, Expand: expandOp, Transpose: transposeOp, Trilu: triluOp,
};
