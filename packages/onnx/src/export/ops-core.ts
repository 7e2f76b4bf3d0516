// Lowering rules of the plain (unfused) ops that are not elementwise: reductions, scans, matmul,
// conv1d, movement, padding, sources. Each writes the standard ONNX op (opset 17) that computes
// the same thing; dims in attributes (`reshape {shape = [batch, seq, 8]}`, a slice at `past`)
// become int64 tensors computed from the graph inputs' shapes (writer.ts).

import { type DType, dimAdd, dimSub, normAxis } from '@smelt/ir';
import { ONNX_DTYPE } from '../tensors.ts';
import { type LowerContext, type LoweringTable, swapLast } from './lowering.ts';

type CoreKind =
  | 'reduce_sum' | 'reduce_mean' | 'reduce_max' | 'reduce_min' | 'argmax' | 'cumsum' | 'topk' | 'matmul' | 'conv1d'
  | 'reshape' | 'transpose' | 'slice' | 'dynamic_slice' | 'concat' | 'split' | 'gather' | 'expand' | 'pad' | 'constant' | 'iota';

/**
 * ReduceMean/Max/Min take their axes as an attribute at opset 17 (ReduceSum as an input, since 13).
 * smelt's max and min are NaN where the reduced elements hold a NaN; ONNX Runtime's skip it, so
 * f32 max and min add the sum of NaN-or-0 over the same axes (x + 0 = x, x + NaN = NaN).
 */
const reduceAttr = (op: string, nanPropagates: boolean) => ({ w, attrs, ins, outs, inTypes: [t] }: LowerContext<'reduce_mean' | 'reduce_max' | 'reduce_min'>) => {
  if (attrs.axes.length === 0) {
    w.node('Identity', ins, {}, outs[0]);
    return;
  }
  const keep = { keepdims: attrs.keepdims };
  if (!nanPropagates || t.dtype !== 'f32') {
    w.node(op, ins, { axes: attrs.axes, ...keep }, outs[0]);
    return;
  }
  const nans = w.node('Where', [w.node('IsNaN', ins), w.scalar('f32', NaN), w.scalar('f32', 0)]);
  const anyNan = w.node('ReduceSum', [nans, w.ints(attrs.axes)], keep);
  w.node('Add', [w.node(op, ins, { axes: attrs.axes, ...keep }), anyNan], {}, outs[0]);
};

/**
 * TopK of f32 in smelt's order, NaN the largest: ONNX Runtime sorts on float64 keys where NaN, +inf
 * and -inf are the finite 1e301, 1e300 and -1e300 (beyond every f32), then gathers the values.
 */
function topkF32({ w, attrs, ins: [x], outs }: LowerContext<'topk'>): string {
  const wide = w.node('Cast', [x], { to: ONNX_DTYPE.DOUBLE });
  const at = (flag: string, v: number, y: string) => w.node('Where', [flag, w.float64(v), y]);
  const up = w.node('IsInf', [x], { detect_negative: 0 });
  const down = w.node('IsInf', [x], { detect_positive: 0 });
  const key = at(w.node('IsNaN', [x]), 1e301, at(up, 1e300, at(down, -1e300, wide)));
  const [, indices] = w.emit('TopK', [key, w.ints([attrs.k])], { axis: attrs.axis, largest: attrs.largest, sorted: 1 }, 2);
  w.node('GatherElements', [x, indices], { axis: attrs.axis }, outs[0]);
  return indices;
}

export const CORE_LOWERINGS: LoweringTable<CoreKind> = {
  reduce_sum: ({ w, attrs, ins, outs }) => {
    if (attrs.axes.length === 0) w.node('Identity', ins, {}, outs[0]);
    else w.node('ReduceSum', [ins[0], w.ints(attrs.axes)], { keepdims: attrs.keepdims }, outs[0]);
  },
  reduce_mean: reduceAttr('ReduceMean', false),
  reduce_max: reduceAttr('ReduceMax', true),
  reduce_min: reduceAttr('ReduceMin', true),
  argmax: ({ w, attrs, ins, outs }) => w.cast(w.node('ArgMax', ins, { axis: attrs.axis, keepdims: attrs.keepdims, select_last_index: 0 }), 'i64', 'i32', outs[0]),
  cumsum: ({ w, attrs, ins, outs }) => {
    w.node('CumSum', [ins[0], w.scalar('i64', attrs.axis)], { exclusive: attrs.exclusive, reverse: attrs.reverse }, outs[0]);
  },
  topk: (c) => {
    const { w, attrs, ins, outs } = c;
    // TopK's indices are int64; smelt's are i32.
    const indices = c.inTypes[0].dtype === 'f32' ? topkF32(c)
      : w.emit('TopK', [ins[0], w.ints([attrs.k])], { axis: attrs.axis, largest: attrs.largest, sorted: 1 }, [outs[0], w.fresh(`${outs[1]}/i64`)])[1];
    w.cast(indices, 'i64', 'i32', outs[1]);
  },
  matmul: ({ w, attrs, ins: [a, b], outs, inTypes: [ta, tb] }) => {
    const x = attrs.transA ? w.node('Transpose', [a], { perm: swapLast(ta.shape.length) }) : a;
    const y = attrs.transB ? w.node('Transpose', [b], { perm: swapLast(tb.shape.length) }) : b;
    w.node('MatMul', [x, y], {}, outs[0]);
  },
  conv1d: ({ w, attrs, ins, outs }) => {
    w.node('Conv', ins, { strides: [attrs.stride], pads: [attrs.padding, attrs.padding], dilations: [attrs.dilation], group: attrs.groups }, outs[0]);
  },
  // The result's shape, not the attribute: it has every -1 resolved. A 0 in it is a size (allowzero).
  reshape: ({ w, ins, outs, outTypes: [t] }) => {
    w.node('Reshape', [ins[0], w.shape(t.shape)], t.shape.includes(0) ? { allowzero: 1 } : {}, outs[0]);
  },
  transpose: ({ w, attrs, ins, outs }) => { w.node('Transpose', ins, { perm: attrs.perm }, outs[0]); },
  slice: ({ w, attrs, ins, outs }) => {
    w.node('Slice', [ins[0], w.dim(attrs.start), w.dim(dimAdd(attrs.start, attrs.size)), w.ints([attrs.axis])], {}, outs[0]);
  },
  // The start clamped into [0, len - size] as smelt's dynamic_slice does (ONNX Slice would shorten the result instead).
  dynamic_slice: ({ w, attrs, ins: [x, start], outs, inTypes: [t] }) => {
    const axis = normAxis(attrs.axis, t.shape.length);
    const wanted = w.node('Reshape', [w.cast(start, 'i32', 'i64'), w.ints([1])]);
    const from = w.node('Min', [w.node('Max', [wanted, w.ints([0])]), w.dim(dimSub(t.shape[axis], attrs.size))]);
    w.node('Slice', [x, from, w.node('Add', [from, w.dim(attrs.size)]), w.ints([axis])], {}, outs[0]);
  },
  concat: ({ w, attrs, ins, outs }) => { w.node('Concat', ins, { axis: attrs.axis }, outs[0]); },
  split: ({ w, attrs, ins, outs }) => { w.emit('Split', [ins[0], w.shape(attrs.sizes)], { axis: attrs.axis }, outs); },
  gather: ({ w, attrs, ins: [table, idx], outs, inTypes: [, ti] }) => {
    w.node('Gather', [table, ti.dtype === 'u8' ? w.cast(idx, 'u8', 'i32') : idx], { axis: attrs.axis }, outs[0]);
  },
  expand: ({ w, ins, outs, outTypes: [t] }) => { w.node('Expand', [ins[0], w.shape(t.shape)], {}, outs[0]); },
  pad: ({ w, attrs, ins, outs, inTypes: [t] }) => {
    w.node('Pad', [ins[0], w.ints([...attrs.before, ...attrs.after]), w.scalar(t.dtype, attrs.value)], { mode: { text: 'constant' } }, outs[0]);
  },
  constant: ({ w, attrs, outs }) => w.initializer(outs[0], attrs.value),
  iota: ({ w, attrs, outs }) => {
    const rank = attrs.shape.length;
    const axis = normAxis(attrs.axis, rank);
    const range = w.node('Range', [w.scalar('i64', 0), w.dimScalar(attrs.shape[axis]), w.scalar('i64', 1)]);
    const typed = w.cast(range, 'i64', attrs.dtype as DType);
    if (rank === 1) {
      w.node('Identity', [typed], {}, outs[0]);
      return;
    }
    const column = w.node('Reshape', [typed, w.ints(attrs.shape.map((_, i) => (i === axis ? -1 : 1)))]);
    w.node('Expand', [column, w.shape(attrs.shape)], {}, outs[0]);
  },
};
