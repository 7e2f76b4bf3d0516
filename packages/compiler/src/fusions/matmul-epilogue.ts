// Fusion: a matmul's epilogue (bias, activation, residual add) folded into one `linear` kernel.
// Runs after add-layer-norm, so a residual add that feeds a LayerNorm is already Add & Norm's.

import { type Activation, type Node, type Value, broadcastShapes, producer, shapesEqual } from '@smelt/ir';
import type { Rewriter, Rule } from '../rewrite.ts';

interface Epilogue {
  bias?: Value;
  activation: Activation;
  residual?: Value;
  /** The value the fused node replaces. */
  end: Value;
}

/** The single-use consumer of v, when it is the only reader. */
function soleConsumer(v: Value, rw: Rewriter): Node | undefined {
  if (rw.useCount(v) !== 1) return undefined;
  return rw.graph.nodes.find((n) => n.inputs.includes(v));
}

/** The other operand of a binary add that reads v, if it keeps v's shape. */
function addend(n: Node, v: Value): Value | undefined {
  if (n.op !== 'add') return undefined;
  const other = n.inputs[0] === v ? n.inputs[1] : n.inputs[0];
  return shapesEqual(n.outputs[0].type.shape, v.type.shape) ? other : undefined;
}

function activationOf(n: Node): Activation | undefined {
  if (n.op === 'relu') return 'relu';
  if (n.op === 'gelu') return (n as Node<'gelu'>).attrs.approximate === 'tanh' ? 'gelu_tanh' : 'gelu';
  return undefined;
}

function collectEpilogue(mm: Node<'matmul'>, rw: Rewriter): Epilogue {
  const ep: Epilogue = { activation: 'none', end: mm.outputs[0] };
  const n = ep.end.type.shape[ep.end.type.shape.length - 1];
  let next = soleConsumer(ep.end, rw);
  const bias = next && addend(next, ep.end);
  if (next && bias && bias.type.shape.length === 1 && bias.type.shape[0] === n) {
    ep.bias = bias;
    ep.end = next.outputs[0];
    next = soleConsumer(ep.end, rw);
  }
  const act = next && activationOf(next);
  if (next && act) {
    ep.activation = act;
    ep.end = next.outputs[0];
    next = soleConsumer(ep.end, rw);
  }
  const res = next && addend(next, ep.end);
  if (next && res && shapesEqual(broadcastShapes([res.type.shape, ep.end.type.shape]), ep.end.type.shape) && producer(res) !== producer(ep.end)) {
    ep.residual = res;
    ep.end = next.outputs[0];
  }
  return ep;
}

// act(x @ w + bias) + residual → linear(x, w, bias, residual) {activation}   (each part optional, at least one present)
export const matmulEpilogue: Rule = {
  name: 'matmul-epilogue',
  law: 'act(x @ w + b) + r → linear(x, w, b, r) {activation}',
  apply(node, rw) {
    if (node.op !== 'matmul' || (node as Node<'matmul'>).attrs.transA) return false;
    const mm = node as Node<'matmul'>;
    const ep = collectEpilogue(mm, rw);
    if (ep.end === mm.outputs[0]) return false;
    const operands = [mm.inputs[0], mm.inputs[1], ...(ep.bias ? [ep.bias] : []), ...(ep.residual ? [ep.residual] : [])];
    const anchor = producer(ep.end)!;
    const [y] = rw.insertBefore(anchor, 'linear', operands, {
      transB: mm.attrs.transB, activation: ep.activation, hasBias: Boolean(ep.bias), hasResidual: Boolean(ep.residual),
    });
    rw.replace(ep.end, y);
    return true;
  },
};
