// Fusion: LayerNorm written out in primitives (as ONNX exporters do before opset 17, and as a DSL
// user may write it) becomes the layer_norm op, and RMSNorm in primitives (Llama's, as torch exports
// it at every opset) the rms_norm op, so Add & Norm and the row kernels apply to them.

import { type Node, type Value, producer } from '@smelt/ir';
import { orderedPair, scalarOf } from '../match.ts';
import type { Rule } from '../rewrite.ts';

/** The one reduced axis of a keepdims mean over the last axis of its operand, or undefined. */
function meanOfLast(v: Value): Value | undefined {
  const n = producer(v);
  if (n?.op !== 'reduce_mean') return undefined;
  const { axes, keepdims } = (n as Node<'reduce_mean'>).attrs;
  const rank = n.inputs[0].type.shape.length;
  return keepdims && axes.length === 1 && (axes[0] === rank - 1 || axes[0] === -1) ? n.inputs[0] : undefined;
}

const opOf = (v: Value, op: string): Node | undefined => {
  const n = producer(v);
  return n?.op === op ? n : undefined;
};

/** x and eps when `normalized` is (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps). */
function normalizedParts(normalized: Value): { x: Value; eps: number } | undefined {
  const div = opOf(normalized, 'div');
  const centered = div?.inputs[0];
  const sub = centered && opOf(centered, 'sub');
  const x = sub?.inputs[0];
  if (!div || !sub || !x || meanOfLast(sub.inputs[1]) !== x) return undefined;
  const sqrt = opOf(div.inputs[1], 'sqrt');
  const plus = sqrt && opOf(sqrt.inputs[0], 'add');
  if (!plus) return undefined;
  const eps = scalarOf(plus.inputs[1]);
  const variance = plus.inputs[0];
  const pow = opOf(meanOfLast(variance) ?? variance, 'pow');
  if (eps === undefined || !meanOfLast(variance) || !pow || pow.inputs[0] !== centered || scalarOf(pow.inputs[1]) !== 2) return undefined;
  return { x, eps };
}

// (x - mean(x)) / sqrt(mean((x - mean(x))²) + eps) * w + b → layer_norm(x, w, b) {eps}   (means over the last axis; w, b of its size)
export const layerNormFromParts: Rule = {
  name: 'layer-norm-from-parts',
  law: '(x - mean(x)) / sqrt(mean((x - mean(x))²) + eps) * w + b → layer_norm(x, w, b) {eps}',
  apply(n, rw) {
    if (n.op !== 'add' || n.outputs[0].type.dtype !== 'f32') return false;
    const pair = orderedPair(n, (v) => opOf(v, 'mul') !== undefined);
    const mul = pair && opOf(pair[0], 'mul');
    if (!pair || !mul) return false;
    const b = pair[1];
    const inner = orderedPair(mul, (v) => normalizedParts(v) !== undefined);
    if (!inner) return false;
    const { x, eps } = normalizedParts(inner[0])!;
    const w = inner[1];
    const d = x.type.shape[x.type.shape.length - 1];
    const fits = (p: Value) => p.type.dtype === 'f32' && p.type.shape.length === 1 && p.type.shape[0] === d;
    if (!fits(w) || !fits(b) || x.type.dtype !== 'f32') return false;
    const [y] = rw.insertBefore(n, 'layer_norm', [x, w, b], { eps });
    rw.replace(n.outputs[0], y);
    return true;
  },
};

/** x and eps when `normalized` is x * (1 / sqrt(mean(x²) + eps)) or x / sqrt(mean(x²) + eps). */
function rmsNormalizedParts(normalized: Value): { x: Value; eps: number } | undefined {
  const n = producer(normalized);
  let x: Value | undefined;
  let root: Value | undefined;
  if (n?.op === 'div') [x, root] = n.inputs;
  if (n?.op === 'mul') {
    const pair = orderedPair(n, (v) => { const d = opOf(v, 'div'); return d !== undefined && scalarOf(d.inputs[0]) === 1; });
    if (pair) [root, x] = [opOf(pair[0], 'div')!.inputs[1], pair[1]];
  }
  const plus = root && opOf(opOf(root, 'sqrt')?.inputs[0] ?? root, 'add');
  if (!x || !plus || !opOf(root!, 'sqrt')) return undefined;
  const eps = scalarOf(plus.inputs[1]);
  const pow = opOf(meanOfLast(plus.inputs[0]) ?? plus.inputs[0], 'pow');
  if (eps === undefined || !meanOfLast(plus.inputs[0]) || !pow || pow.inputs[0] !== x || scalarOf(pow.inputs[1]) !== 2) return undefined;
  // x - mean(x) in place of x is a LayerNorm's normalization: layer-norm-from-parts takes it whole
  const sub = opOf(x, 'sub');
  if (sub && meanOfLast(sub.inputs[1]) === sub.inputs[0]) return undefined;
  return { x, eps };
}

// x * (1 / sqrt(mean(x²) + eps)) * w → rms_norm(x, w) {eps}   (also x / sqrt(…) * w; the mean over the last axis, w of its size)
export const rmsNormFromParts: Rule = {
  name: 'rms-norm-from-parts',
  law: 'x * (1 / sqrt(mean(x²) + eps)) * w → rms_norm(x, w) {eps}',
  apply(n, rw) {
    if (n.op !== 'mul' || n.outputs[0].type.dtype !== 'f32') return false;
    const pair = orderedPair(n, (v) => rmsNormalizedParts(v) !== undefined);
    if (!pair) return false;
    const { x, eps } = rmsNormalizedParts(pair[0])!;
    const w = pair[1];
    const d = x.type.shape[x.type.shape.length - 1];
    if (x.type.dtype !== 'f32' || w.type.dtype !== 'f32' || w.type.shape.length !== 1 || w.type.shape[0] !== d) return false;
    const [y] = rw.insertBefore(n, 'rms_norm', [x, w], { eps });
    rw.replace(n.outputs[0], y);
    return true;
  },
};
