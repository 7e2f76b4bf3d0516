// The heavier ONNX ops: MatMul, Gemm, Softmax, LogSoftmax, LayerNormalization, the reductions,
// ArgMax, CumSum, Pad, Dropout (inference: identity); Conv is conv.ts. Each becomes the smelt ops the
// DSL writes for the same thing (Gemm: matmul {transB} + bias, as nn.Linear), so the fusions see the same graph.

import { type Var, concat, iota, layerNorm, matmul, normAxis, where } from '@smelt/ir';
import type { NodeContext } from '../context.ts';
import type { Converter } from './types.ts';

const out = (v: Var) => [{ kind: 'var' as const, v }];

const matmulOp: Converter = (c) => {
  const [a, b] = [c.var(0), c.var(1)];
  if (a.rank < 2 || b.rank < 2) c.unsupported(`MatMul of rank-1 operands ([${a.shape.join(', ')}], [${b.shape.join(', ')}]) is not supported`);
  return out(matmul(a, b));
};

const gemmOp: Converter = (c) => {
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  let y = matmul(c.var(0), c.var(1), { transA: c.int('transA', 0) === 1, transB: c.int('transB', 0) === 1 });
  if (alpha !== 1) y = y.mul(alpha);
  if (c.has(2) && beta !== 0) y = y.add(beta === 1 ? c.var(2) : c.var(2).mul(beta));
  return out(y);
};

const softmaxOp: Converter = (c) => out(c.var(0).softmax(c.int('axis', -1)));

/** log_softmax(x) = (x - max) - log(sum(exp(x - max))) along the axis. */
const logSoftmaxOp: Converter = (c) => {
  const x = c.var(0);
  const axis = normAxis(c.int('axis', -1), x.rank);
  const shifted = x.sub(x.max([axis], true));
  return out(shifted.sub(shifted.exp().sum([axis], true).log()));
};

const layerNormOp: Converter = (c) => {
  const x = c.var(0);
  const axis = normAxis(c.int('axis', -1), x.rank);
  if (axis !== x.rank - 1) c.badAttr('axis', c.int('axis', -1), `the last axis (-1 or ${x.rank - 1})`);
  if (c.node.outputs.slice(1).some((o) => o !== '')) c.unsupported('the Mean and InvStdDev outputs are not supported');
  const w = c.var(1);
  const b = c.has(2) ? c.var(2) : c.fillVar(w.shape, 0, 'f32');
  return out(layerNorm(x, w, b, c.float('epsilon', 1e-5)));
};

/** ReduceMean/Sum/Max: axes from the input (ReduceSum from opset 13, the others from 18) or the attribute. */
function reduceOp(kind: 'sum' | 'mean' | 'max', axesInputFrom: number): Converter {
  return (c) => {
    const x = c.var(0);
    const fromInput = c.opset >= axesInputFrom;
    const given = fromInput ? (c.has(1) ? c.ints(1, 'axes') : undefined) : c.intList('axes');
    const keep = c.int('keepdims', 1) === 1;
    if ((!given || given.length === 0) && c.int('noop_with_empty_axes', 0) === 1) return out(x);
    const axes = given && given.length > 0 ? given.map((a) => normAxis(a, x.rank)) : x.shape.map((_, i) => i);
    return out(kind === 'sum' ? x.sum(axes, keep) : kind === 'mean' ? x.mean(axes, keep) : x.max(axes, keep));
  };
}

const argMaxOp: Converter = (c) => {
  if (c.int('select_last_index', 0) !== 0) c.badAttr('select_last_index', c.int('select_last_index', 0), '0');
  const x = c.var(0);
  return out(x.argmax(normAxis(c.int('axis', 0), x.rank), c.int('keepdims', 1) === 1));
};

/** CumSum along an axis as a product with a triangular 0/1 matrix (exact for f32 sums of the same order). */
const cumSumOp: Converter = (c) => {
  const x = c.var(0);
  if (x.dtype !== 'f32') c.unsupported(`CumSum of ${x.dtype} is not supported (f32 only)`);
  const axis = normAxis(c.ints(1, 'axis')[0], x.rank);
  const n = x.shape[axis];
  const exclusive = c.int('exclusive', 0) === 1;
  const reverse = c.int('reverse', 0) === 1;
  const i = iota(c.b, [n, n], 0);
  const j = iota(c.b, [n, n], 1);
  // out[j] = sum over i of x[i] * T[i, j]; T keeps i <= j (forward) or i >= j (reverse), strictly when exclusive
  const keep = reverse ? (exclusive ? i.gt(j) : i.ge(j)) : exclusive ? i.lt(j) : i.le(j);
  const tri = where(keep, 1, 0);
  const last = x.rank - 1;
  const perm = x.shape.map((_, k) => (k === axis ? last : k === last ? axis : k));
  const moved = axis === last ? x : x.transpose(perm);
  const summed = matmul(moved, tri);
  return out(axis === last ? summed : summed.transpose(perm));
};

const padOp: Converter = (c) => {
  const mode = c.string('mode', 'constant');
  if (mode !== 'constant') c.badAttr('mode', mode, '"constant"');
  let x = c.var(0);
  const pads = c.ints(1, 'pads');
  const value = c.has(2) ? Number(c.static(2, 'constant_value').values[0]) : 0;
  const axes = c.has(3) ? c.ints(3, 'axes').map((a) => normAxis(a, x.rank)) : x.shape.map((_, i) => i);
  if (pads.length !== 2 * axes.length) c.malformed(`pads has ${pads.length} entries for ${axes.length} axes`);
  axes.forEach((axis, k) => {
    const [before, after] = [pads[k], pads[k + axes.length]];
    if (before < 0 || after < 0) c.badAttr('pads', pads, 'non-negative pads');
    x = padAxis(c, x, axis, before, after, value);
  });
  return out(x);
};

/** x with `before` and `after` elements of `value` added along an axis (a concat of fills). */
export function padAxis(c: NodeContext, x: Var, axis: number, before: number, after: number, value: number): Var {
  const piece = (n: number) => c.fillVar(x.shape.map((d, i) => (i === axis ? n : d)), value, x.dtype);
  const parts = [...(before > 0 ? [piece(before)] : []), x, ...(after > 0 ? [piece(after)] : [])];
  return parts.length > 1 ? concat(parts, axis) : x;
}

const dropoutOp: Converter = (c) => {
  if (c.node.outputs.slice(1).some((o) => o !== '')) c.unsupported('the mask output is not supported (inference only)');
  return [c.input(0)];
};

export const NN_OPS: Record<string, Converter> = {
  MatMul: matmulOp, Gemm: gemmOp, Softmax: softmaxOp, LogSoftmax: logSoftmaxOp, LayerNormalization: layerNormOp,
  ReduceSum: reduceOp('sum', 13), ReduceMean: reduceOp('mean', 18), ReduceMax: reduceOp('max', 18), ArgMax: argMaxOp,
  CumSum: cumSumOp, Pad: padOp, Dropout: dropoutOp,
};

