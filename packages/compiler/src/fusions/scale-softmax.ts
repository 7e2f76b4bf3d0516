// Fusion: scale and additive mask folded into the softmax row kernel.

import { type Node, type Value, broadcastShapes, shapesEqual } from '@smelt/ir';
import { scalarOf } from '../match.ts';
import type { Rewriter, Rule } from '../rewrite.ts';

function lastAxis(n: Node<'softmax'>): boolean {
  const r = n.inputs[0].type.shape.length;
  return n.attrs.axis === -1 || n.attrs.axis === r - 1;
}

/** (x, mask) when v is a single-use add of a full-shape x and an f32 mask that broadcasts to it. */
function splitMask(v: Value, rw: Rewriter): { x: Value; mask?: Value } {
  const add = rw.singleUse(v, 'add');
  if (!add) return { x: v };
  const fits = (x: Value, m: Value) =>
    m.type.dtype === 'f32' && shapesEqual(x.type.shape, v.type.shape) && shapesEqual(broadcastShapes([x.type.shape, m.type.shape]), v.type.shape);
  const [a, b] = add.inputs;
  const orders: [Value, Value][] = rw.singleUse(b, 'mul') && !rw.singleUse(a, 'mul') ? [[b, a], [a, b]] : [[a, b], [b, a]];
  const hit = orders.find(([x, m]) => fits(x, m));
  return hit ? { x: hit[0], mask: hit[1] } : { x: v };
}

/** (x, c) when v is a single-use x * c with c a scalar constant. */
function splitScale(v: Value, rw: Rewriter): { x: Value; scale: number } {
  const mul = rw.singleUse(v, 'mul');
  const c = mul && scalarOf(mul.inputs[1]);
  if (!mul || c === undefined || !shapesEqual(mul.inputs[0].type.shape, v.type.shape)) return { x: v, scale: 1 };
  return { x: mul.inputs[0], scale: c };
}

// softmax(x * c + m) → scaled_masked_softmax(x, m) {scale = c}   (c a scalar constant; the scale or the mask may be absent)
export const scaleSoftmax: Rule = {
  name: 'scale-softmax',
  law: 'softmax(x * c + m) → scaled_masked_softmax(x, m) {scale = c}',
  apply(n, rw) {
    if (n.op !== 'softmax' || !lastAxis(n as Node<'softmax'>)) return false;
    const { x: scaled, mask } = splitMask(n.inputs[0], rw);
    const { x, scale } = splitScale(scaled, rw);
    if (x === n.inputs[0]) return false; // a plain softmax: nothing to fold
    const [y] = rw.insertBefore(n, 'scaled_masked_softmax', mask ? [x, mask] : [x], { scale });
    rw.replace(n.outputs[0], y);
    return true;
  },
};
