// Fusion: the attention core as one op, so backends can run flash-style kernels that never hold a
// full score matrix. Heads stay a batch dim. A causal mask built by nn.causalMask becomes the
// `causal` flag; any other additive mask stays an operand. Head sizes (q's and v's last dims) must
// be known numbers.

import { type Node, type Value, producer, shapesEqual } from '@smelt/ir';
import { isCausalMask } from '../match.ts';
import type { Rule } from '../rewrite.ts';

/** Split an additive mask into (causal flag, remaining mask). */
function splitCausal(mask: Value | undefined): { causal: boolean; rest?: Value } {
  if (!mask) return { causal: false };
  if (isCausalMask(mask)) return { causal: true };
  // Reading through the add is enough: it stays for its other users, or DCE drops it.
  const add = producer(mask);
  if (add?.op === 'add') {
    const [a, b] = add.inputs;
    if (isCausalMask(a)) return { causal: true, rest: b };
    if (isCausalMask(b)) return { causal: true, rest: a };
  }
  return { causal: false, rest: mask };
}

/** A causal mask is only the flag when it is square over the scores' last two dims. */
function causalFits(mask: Value, scores: Value): boolean {
  const s = scores.type.shape;
  const m = mask.type.shape;
  return s[s.length - 1] === s[s.length - 2] && shapesEqual(m.slice(-2), s.slice(-2));
}

// matmul(scaled_masked_softmax(matmul(q, k, transB), m), v) → attention(q, k, v, m) {scale, causal}
export const attentionFusion: Rule = {
  name: 'attention',
  law: 'matmul(scaled_masked_softmax(q @ kᵀ, m) {scale}, v) → attention(q, k, v, m) {scale, causal}',
  apply(n, rw) {
    if (n.op !== 'matmul') return false;
    const pv = n as Node<'matmul'>;
    if (pv.attrs.transA || pv.attrs.transB) return false;
    const sm = rw.singleUse(pv.inputs[0], 'scaled_masked_softmax');
    const qk = sm && rw.singleUse(sm.inputs[0], 'matmul');
    if (!sm || !qk || qk.attrs.transA || !qk.attrs.transB) return false;
    const [q, k] = qk.inputs;
    // The fused kernels tile by head size: a head size known only at run time stays unfused (the
    // WebGPU kernel needs it at compile time; found by the differential fuzzer).
    if (typeof q.type.shape.at(-1) !== 'number' || typeof pv.inputs[1].type.shape.at(-1) !== 'number') return false;
    const mask = sm.inputs[1];
    let { causal, rest } = splitCausal(mask);
    const causalMaskValue = causal && (mask && isCausalMask(mask) ? mask : producer(mask!)!.inputs.find(isCausalMask));
    if (causal && causalMaskValue && !causalFits(causalMaskValue, qk.outputs[0])) {
      causal = false;
      rest = mask;
    }
    const operands = rest ? [q, k, pv.inputs[1], rest] : [q, k, pv.inputs[1]];
    const [y] = rw.insertBefore(n, 'attention', operands, { scale: sm.attrs.scale, causal });
    rw.replace(n.outputs[0], y);
    return true;
  },
};
