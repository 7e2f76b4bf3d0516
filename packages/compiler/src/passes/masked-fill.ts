// Canonicalization of the causal masking Hugging Face models write (and torch.onnx exports):
// `scores.masked_fill(~tril(ones), finfo.min)` arrives as where(not(le(col, row)), -3.4e38, scores).
// The DSL writes the same thing as an additive mask, softmax(scores + where(col > row, -inf, 0)),
// which the attention fusion turns into its `causal` flag. Two exact rewrites bring the first form
// to the second, so imported GPT-2 and Llama fuse like the zoo's own graphs.

import { type Node, type Value, isInteger, producer, shapesEqual, tensor } from '@smelt/ir';
import { isAboveDiagonal, scalarOf, throughLeadingOnes } from '../match.ts';
import type { Rule } from '../rewrite.ts';

const NEGATED = { lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' } as const;
type Comparison = keyof typeof NEGATED;
const isComparison = (op: string): op is Comparison => Object.hasOwn(NEGATED, op);

// not(a < b) = a >= b, not(a <= b) = a > b, … for integer a, b (no NaN, so the negation is exact)
export const notOfComparison: Rule = {
  name: 'not-of-comparison',
  law: 'not(a < b) = a >= b; not(a <= b) = a > b; not(a > b) = a <= b; not(a >= b) = a < b  (integer a, b)',
  apply(n, rw) {
    if (n.op !== 'not') return false;
    const cmp = producer(n.inputs[0]);
    if (!cmp || !isComparison(cmp.op) || !cmp.inputs.every((v) => isInteger(v.type.dtype))) return false;
    const [y] = rw.insertBefore(n, NEGATED[cmp.op], [...cmp.inputs], {});
    rw.replace(n.outputs[0], y);
    return true;
  },
};

/** The most negative finite f32: a fill at or below it leaves exp(fill - rowMax) = 0 for any finite row max above -3.4e38 + 104. */
const F32_LOWEST = -3.4028234663852886e38;

function scalarConstant(n: Node, rw: Parameters<Rule['apply']>[1], x: number): Value {
  const value = tensor('f32', []);
  value.data[0] = x;
  return rw.insertBefore(n, 'constant', [], { value })[0];
}

// softmax(where(col > row, c, x)) = softmax(x + where(col > row, -inf, 0))   (last axis; c ≤ lowest f32;
// column 0 is never above the diagonal, so no row is all masked and exp(c - rowMax) is 0 either way).
// One difference: a masked score of +inf or NaN, which the fill hid, makes the sum NaN; the attention
// fusion's `causal` flag, which this form becomes, replaces masked scores and hides it again.
export const causalFillSoftmax: Rule = {
  name: 'causal-fill-softmax',
  law: 'softmax(where(col > row, c, x)) = softmax(x + where(col > row, -inf, 0))  (c ≤ lowest f32, last axis)',
  apply(n, rw) {
    if (n.op !== 'softmax') return false;
    const x = n.inputs[0];
    const axis = (n as Node<'softmax'>).attrs.axis;
    if (axis !== -1 && axis !== x.type.shape.length - 1) return false;
    const w = producer(x);
    if (w?.op !== 'where' || x.type.dtype !== 'f32') return false;
    const [cond, fill, scores] = w.inputs;
    const c = scalarOf(fill);
    if (c === undefined || c > F32_LOWEST || cond.type.shape.length > x.type.shape.length) return false;
    if (!isAboveDiagonal(throughLeadingOnes(cond)) || !shapesEqual(scores.type.shape, x.type.shape)) return false;
    const mask = rw.insertBefore(n, 'where', [cond, scalarConstant(n, rw, -Infinity), scalarConstant(n, rw, 0)], {})[0];
    rw.setInput(n, 0, rw.insertBefore(n, 'add', [scores, mask], {})[0]);
    return true;
  },
};
