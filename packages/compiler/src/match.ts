// Small matchers the rules share: constants, scalars, commutative operand pairs, the causal mask.

import { type Node, type OpKind, type Value, numel, producer } from '@smelt/ir';

export function constantOf(v: Value): Node<'constant'> | undefined {
  const p = producer(v);
  return p?.op === 'constant' ? (p as Node<'constant'>) : undefined;
}

/** The value of a one-element constant, or undefined. */
export function scalarOf(v: Value): number | undefined {
  const c = constantOf(v);
  if (!c || numel(c.attrs.value.shape) !== 1) return undefined;
  const x = c.attrs.value.data[0];
  return typeof x === 'bigint' ? Number(x) : x;
}

export function isOp<K extends OpKind>(n: Node | undefined, op: K): n is Node<K> {
  return n?.op === op;
}

/** For a commutative binary node, the operand pair ordered so that `test` holds for the first. */
export function orderedPair(n: Node, test: (v: Value) => boolean): [Value, Value] | undefined {
  const [a, b] = n.inputs;
  if (test(a)) return [a, b];
  if (test(b)) return [b, a];
  return undefined;
}

function isIota(v: Value, axis: number): boolean {
  const p = producer(v);
  return p?.op === 'iota' && (p as Node<'iota'>).attrs.axis === axis && p.outputs[0].type.shape.length === 2;
}

/** v itself, or what a reshape that only prepends 1s reshapes (an ONNX Unsqueeze of a mask). */
export function throughLeadingOnes(v: Value): Value {
  const r = producer(v);
  if (r?.op !== 'reshape') return v;
  const from = r.inputs[0].type.shape;
  const to = v.type.shape;
  const extra = to.length - from.length;
  return extra > 0 && to.slice(0, extra).every((d) => d === 1) && to.slice(extra).every((d, i) => d === from[i]) ? r.inputs[0] : v;
}

/** gt(iota(axis 1), iota(axis 0)) or lt(iota(axis 0), iota(axis 1)): true above the diagonal (column > row). */
export function isAboveDiagonal(v: Value): boolean {
  const gt = producer(v);
  if (gt?.op === 'gt') return isIota(gt.inputs[0], 1) && isIota(gt.inputs[1], 0);
  if (gt?.op === 'lt') return isIota(gt.inputs[0], 0) && isIota(gt.inputs[1], 1);
  return false;
}

/** where(gt(iota(axis 1), iota(axis 0)), -inf, 0): the causal mask of nn.causalMask (or it with leading 1s). */
export function isCausalMask(v: Value): boolean {
  const w = producer(throughLeadingOnes(v));
  if (w?.op !== 'where') return false;
  if (scalarOf(w.inputs[1]) !== -Infinity || scalarOf(w.inputs[2]) !== 0) return false;
  return isAboveDiagonal(w.inputs[0]);
}
