// Lowering rules of the row ops, rope and the fused ops, each written as the standard ONNX ops it
// stands for (opset 17): layer_norm is LayerNormalization; rms_norm is x · 1/√(mean(x²) + eps) · w
// (ONNX has RMSNormalization only from opset 23); add_layer_norm and add_rms_norm are the Add (their
// second result) and the norm of it; scaled_masked_softmax is Softmax(x · scale + mask); linear is
// MatMul and its epilogue expression; attention is MatMul, scale, mask, the causal Where, Softmax and
// MatMul, with grouped kv heads repeated (Unsqueeze, Expand, Reshape: Hugging Face's repeat_kv),
// and in layout bshd a Transpose of q, k and v to [..., H, L, d] before and of the result after;
// rope is Slice, Mul, Sub/Add and Concat (interleaved pairs by step-2 slices, joined back pairwise).

import { type Dim, type TensorType, attentionLayout, dimMul, headSwapPerm, parseExpr } from '@smelt/ir';
import { lowerExpr } from './expr.ts';
import { type LowerContext, type LoweringTable, swapLast } from './lowering.ts';
import type { OnnxWriter } from './writer.ts';

type FusedKind =
  | 'softmax' | 'log_softmax' | 'layer_norm' | 'rms_norm' | 'scaled_masked_softmax' | 'add_layer_norm' | 'add_rms_norm'
  | 'rope' | 'linear' | 'attention';

function layerNorm(w: OnnxWriter, x: string, rest: readonly string[], eps: number, out: string): void {
  w.node('LayerNormalization', [x, ...rest], { axis: -1, epsilon: { float: eps } }, out);
}

function rmsNorm(w: OnnxWriter, x: string, weight: string, eps: number, out: string): void {
  const meanSquare = w.node('ReduceMean', [w.node('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const inv = w.node('Reciprocal', [w.node('Sqrt', [w.node('Add', [meanSquare, w.scalar('f32', eps)])])]);
  w.node('Mul', [w.node('Mul', [x, inv]), weight], {}, out);
}

/** k or v ([..., Hkv, L, d]) with each grouped batch axis repeated to the query's head count. */
function repeatKv(w: OnnxWriter, x: string, t: TensorType, q: TensorType): string {
  let dims: Dim[] = [...t.shape];
  const off = q.shape.length - dims.length;
  for (let i = 0; i < dims.length - 2; i++) {
    const d = dims[i];
    const qd = q.shape[i + off];
    if (i + off < 0 || typeof d !== 'number' || typeof qd !== 'number' || d === qd || d === 1 || qd === 1) continue;
    const group = qd / d;
    const wide = [...dims.slice(0, i + 1), group, ...dims.slice(i + 1)];
    const expanded = w.node('Expand', [w.node('Unsqueeze', [x, w.ints([i + 1])]), w.shape(wide)]);
    dims = [...dims.slice(0, i), dimMul(d, group), ...dims.slice(i + 1)];
    x = w.node('Reshape', [expanded, w.shape(dims)]);
  }
  return x;
}

/** Scores where key j > query i set to -inf (smelt's causal flag: the diagonal from the top left). */
function causal(w: OnnxWriter, scores: string, lq: Dim, lk: Dim): string {
  const range = (n: Dim) => w.node('Range', [w.scalar('i64', 0), w.dimScalar(n), w.scalar('i64', 1)]);
  const later = w.node('Greater', [w.node('Unsqueeze', [range(lk), w.ints([0])]), w.node('Unsqueeze', [range(lq), w.ints([1])])]);
  return w.node('Where', [later, w.scalar('f32', -Infinity), scores]);
}

/** bshd ⇄ bhsd: the row axis and the head axis before it swapped. */
function swapHeads(w: OnnxWriter, x: string, t: TensorType): [string, TensorType] {
  const perm = headSwapPerm(t.shape.length);
  return [w.node('Transpose', [x], { perm }), { dtype: t.dtype, shape: perm.map((p) => t.shape[p]) }];
}

function attention({ w, attrs, ins, outs, inTypes, outTypes }: LowerContext<'attention'>): void {
  const bshd = attentionLayout(attrs) === 'bshd';
  const [[q, tq], [k0, tk], [v0, tv]] = [0, 1, 2].map((i): [string, TensorType] => (bshd ? swapHeads(w, ins[i], inTypes[i]) : [ins[i], inTypes[i]]));
  const k = repeatKv(w, k0, tk, tq);
  const v = repeatKv(w, v0, tv, tq);
  let scores = w.node('MatMul', [q, w.node('Transpose', [k], { perm: swapLast(tk.shape.length) })]);
  if (attrs.scale !== 1) scores = w.node('Mul', [scores, w.scalar('f32', attrs.scale)]);
  if (ins[3] !== undefined) scores = w.node('Add', [scores, ins[3]]);
  if (attrs.causal) scores = causal(w, scores, tq.shape[tq.shape.length - 2], tk.shape[tk.shape.length - 2]);
  const probs = w.node('Softmax', [scores], { axis: -1 });
  if (!bshd) {
    w.node('MatMul', [probs, v], {}, outs[0]);
    return;
  }
  w.node('Transpose', [w.node('MatMul', [probs, v])], { perm: headSwapPerm(outTypes[0].shape.length) }, outs[0]);
}

/** x · cos - rotate(x) · sin over the first 2·H entries of the last axis; the rest passes through. */
function rope({ w, attrs, ins: [x, cos, sin], outs, inTypes: [tx, tc] }: LowerContext<'rope'>): void {
  const d = tx.shape[tx.shape.length - 1] as number;
  const h = tc.shape[tc.shape.length - 1] as number;
  const part = (start: number, end: number, step = 1) => w.node('Slice', [x, w.ints([start]), w.ints([end]), w.ints([-1]), w.ints([step])]);
  const [a, b] = attrs.interleaved ? [part(0, 2 * h, 2), part(1, 2 * h, 2)] : [part(0, h), part(h, 2 * h)];
  const first = w.node('Sub', [w.node('Mul', [a, cos]), w.node('Mul', [b, sin])]);
  const second = w.node('Add', [w.node('Mul', [b, cos]), w.node('Mul', [a, sin])]);
  let rotated: string;
  if (attrs.interleaved) {
    const pairs = w.node('Concat', [first, second].map((p) => w.node('Unsqueeze', [p, w.ints([-1])])), { axis: -1 });
    // Reshape's 0 keeps a dim as it is: [..., H, 2] → [..., 2H].
    rotated = w.node('Reshape', [pairs, w.ints([...tx.shape.slice(0, -1).map(() => 0), 2 * h])]);
  } else {
    rotated = w.node('Concat', [first, second], { axis: -1 });
  }
  if (2 * h === d) w.node('Identity', [rotated], {}, outs[0]);
  else w.node('Concat', [rotated, part(2 * h, d)], { axis: -1 }, outs[0]);
}

export const FUSED_LOWERINGS: LoweringTable<FusedKind> = {
  softmax: ({ w, attrs, ins, outs }) => { w.node('Softmax', ins, { axis: attrs.axis }, outs[0]); },
  log_softmax: ({ w, attrs, ins, outs }) => { w.node('LogSoftmax', ins, { axis: attrs.axis }, outs[0]); },
  layer_norm: ({ w, attrs, ins: [x, ...rest], outs }) => layerNorm(w, x, rest, attrs.eps, outs[0]),
  rms_norm: ({ w, attrs, ins: [x, weight], outs }) => rmsNorm(w, x, weight, attrs.eps, outs[0]),
  scaled_masked_softmax: ({ w, attrs, ins: [x, mask], outs }) => {
    const scaled = attrs.scale === 1 ? x : w.node('Mul', [x, w.scalar('f32', attrs.scale)]);
    w.node('Softmax', [mask === undefined ? scaled : w.node('Add', [scaled, mask])], { axis: -1 }, outs[0]);
  },
  add_layer_norm: ({ w, attrs, ins: [x, r, ...rest], outs }) => layerNorm(w, w.node('Add', [x, r], {}, outs[1]), rest, attrs.eps, outs[0]),
  add_rms_norm: ({ w, attrs, ins: [x, r, weight], outs }) => rmsNorm(w, w.node('Add', [x, r], {}, outs[1]), weight, attrs.eps, outs[0]),
  rope,
  linear: ({ w, attrs, ins: [x, weight, ...extras], outs, inTypes: [, tw, ...te] }) => {
    const rhs = attrs.transB ? w.node('Transpose', [weight], { perm: swapLast(tw.shape.length) }) : weight;
    const product = w.node('MatMul', [x, rhs]);
    lowerExpr(w, parseExpr(attrs.epilogue), [product, ...extras], ['f32', ...te.map((t) => t.dtype)], outs[0]);
  },
  attention,
};
