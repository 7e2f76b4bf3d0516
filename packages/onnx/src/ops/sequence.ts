// ONNX sequences, resolved at import: torch exports `chunk`, `unbind` and `repeat_interleave` over
// a dynamic size through SplitToSequence, SequenceAt, SequenceInsert and ConcatFromSequence (and a
// Loop, loop.ts). The number of items must be known at import; each item is an ordinary import
// value (a graph value or a static tensor), so the graph gets split, slices and concat — never a
// sequence.

import { type Dim, concat, normAxis } from '@smelt/ir';
import type { NodeContext } from '../context.ts';
import { concatStatic } from '../static.ts';
import { smeltDType } from '../tensors.ts';
import { type Sequence, type Static, type Val, asStatic, dtypeOfVal, shapeOfVal, staticOf } from '../values.ts';
import { reshaped, splitValue } from './shape.ts';
import type { Converter } from './types.ts';

/** The most items a sequence may hold (a corrupted split must not make millions of graph nodes). */
const MAX_ITEMS = 4096;

const seq = (dtype: Sequence['dtype'], items: readonly Val[]): Sequence => ({ kind: 'sequence', dtype, items });

/** A position input (scalar, negative counts from the end) within [0, n] (`inclusive`) or [0, n). */
function position(c: NodeContext, i: number, n: number, inclusive: boolean): number {
  const [p] = c.ints(i, 'position');
  const at = p < 0 ? p + n : p;
  if (!(at >= 0 && (inclusive ? at <= n : at < n))) c.malformed(`position ${p} is out of range for a sequence of ${n} items`);
  return at;
}

const sequenceEmpty: Converter = (c) => [seq(smeltDType(c.int('dtype', 1), 'attribute dtype'), [])];

const sequenceConstruct: Converter = (c) => {
  const items = c.node.inputs.map((_, i) => c.input(i));
  return [seq(items.length > 0 ? dtypeOfVal(items[0]) : 'f32', items)];
};

const sequenceInsert: Converter = (c) => {
  const s = c.sequence(0);
  const items = [...s.items];
  if (items.length >= MAX_ITEMS) c.unsupported(`a sequence of more than ${MAX_ITEMS} items is not supported`);
  items.splice(c.has(2) ? position(c, 2, items.length, true) : items.length, 0, c.input(1));
  return [seq(s.dtype, items)];
};

const sequenceAt: Converter = (c) => {
  const s = c.sequence(0);
  return [s.items[position(c, 1, s.items.length, false)]];
};

const sequenceLength: Converter = (c) => [staticOf('i32', [], [c.sequence(0).items.length])];

/** The pieces' sizes: SplitToSequence's split input (a scalar chunk size or the sizes), or all 1. */
function splitSizes(c: NodeContext, d: Dim): Dim[] {
  const given = c.has(1) ? c.static(1, 'split') : undefined;
  if (given && given.shape.length === 1) return c.ints(1, 'split');
  if (typeof d !== 'number') c.unsupported(`cannot split a dim of size ${d} into a sequence: its length must be known at import`);
  const chunk = given ? c.ints(1, 'split')[0] : 1;
  if (!(chunk > 0)) c.malformed(`split ${chunk} is not a positive chunk size`);
  const n = Math.ceil(d / chunk);
  if (n > MAX_ITEMS) c.unsupported(`splitting ${d} into ${n} items is more than the ${MAX_ITEMS} a sequence may hold`);
  return Array.from({ length: n }, (_, k) => Math.min(chunk, d - k * chunk));
}

const splitToSequence: Converter = (c) => {
  const x = c.input(0);
  const shape = shapeOfVal(x);
  const axis = normAxis(c.int('axis', 0), shape.length);
  const sizes = splitSizes(c, shape[axis]);
  if (sizes.length > MAX_ITEMS) c.unsupported(`a sequence of ${sizes.length} items is more than the ${MAX_ITEMS} supported`);
  let items = splitValue(c, x, axis, sizes);
  // keepdims = 0 drops the split axis, only when no split is given (each piece has size 1)
  if (!c.has(1) && c.int('keepdims', 1) === 0) items = items.map((v) => reshaped(c, v, shape.filter((_, i) => i !== axis)));
  return [seq(dtypeOfVal(x), items)];
};

const concatFromSequence: Converter = (c) => {
  const s = c.sequence(0);
  if (s.items.length === 0) c.unsupported('ConcatFromSequence of an empty sequence is not supported (its shape is unknown)');
  const newAxis = c.int('new_axis', 0) === 1;
  const rank = shapeOfVal(s.items[0]).length + (newAxis ? 1 : 0);
  const axis = normAxis(c.int('axis') ?? c.malformed('has no axis'), rank);
  const items = newAxis ? s.items.map((v) => {
    const shape = [...shapeOfVal(v)];
    shape.splice(axis, 0, 1);
    return reshaped(c, v, shape);
  }) : s.items;
  return [joinValues(c, items, axis)];
};

/** Values concatenated along an axis: a static tensor when every part is one. */
export function joinValues(c: NodeContext, items: readonly Val[], axis: number): Val {
  const statics = items.map(asStatic);
  if (statics.every((s) => s !== undefined) && items.every((v) => v.kind !== 'weight')) return concatStatic(statics as Static[], axis);
  const vars = items.map((v, i) => c.toVar(v, `item ${i}`));
  return { kind: 'var', v: vars.length === 1 ? vars[0] : concat(vars, axis) };
}

export const SEQUENCE_OPS: Record<string, Converter> = {
  SequenceEmpty: sequenceEmpty, SequenceConstruct: sequenceConstruct, SequenceInsert: sequenceInsert, SequenceAt: sequenceAt,
  SequenceLength: sequenceLength, SplitToSequence: splitToSequence, ConcatFromSequence: concatFromSequence,
};
