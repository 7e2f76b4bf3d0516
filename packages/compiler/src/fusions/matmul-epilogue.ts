// Fusion: a matmul and the chain of elementwise ops after it (bias, activation, residual add, or
// any elementwise op that keeps the product's shape and dtype f32) become one `linear` whose
// epilogue is that chain as an expression: $0 the product, $1… the chain's other operands, read
// with broadcasting. Each op joins while it is the only reader of the running value. Runs after
// add-layer-norm, so a residual add that feeds a LayerNorm is already Add & Norm's.

import { type Expr, type Node, type Value, hasTrait, printExpr, producer, shapesEqual } from '@smelt/ir';
import { literalOf, nodeExpr } from '../elementwise-expr.ts';
import { isOp } from '../match.ts';
import type { Rewriter, Rule } from '../rewrite.ts';

interface Epilogue {
  expr: Expr;
  /** Operands $1, $2, … of the expression. */
  readonly extras: Value[];
  /** The value the fused node replaces. */
  end: Value;
}

/** `n` can extend an epilogue ending in `end`: elementwise, its result f32 of end's shape, its other operands f32. */
function joins(n: Node, end: Value): boolean {
  const [out] = n.outputs;
  return hasTrait(n.op, 'elementwise') && n.outputs.length === 1 && out.type.dtype === 'f32' && shapesEqual(out.type.shape, end.type.shape) &&
    n.inputs.every((v) => v === end || v.type.dtype === 'f32');
}

/** The expression of an operand outside the chain: a literal, or an extra operand (each value once). */
function operand(ep: Epilogue, v: Value): Expr {
  const literal = literalOf(v);
  if (literal) return literal;
  let i = ep.extras.indexOf(v);
  if (i < 0) i = ep.extras.push(v) - 1;
  return { k: 'in', i: i + 1 };
}

function collectEpilogue(mm: Node<'matmul'>, rw: Rewriter): Epilogue {
  const ep: Epilogue = { expr: { k: 'in', i: 0 }, extras: [], end: mm.outputs[0] };
  for (let next = rw.soleUser(ep.end); next && joins(next, ep.end); next = rw.soleUser(ep.end)) {
    ep.expr = nodeExpr(next, next.inputs.map((v) => (v === ep.end ? ep.expr : operand(ep, v))));
    ep.end = next.outputs[0];
  }
  return ep;
}

// ops(x @ w, extras…) → linear(x, w, extras…) {epilogue = ops($0, $1…)}   (at least one op)
export const matmulEpilogue: Rule = {
  name: 'matmul-epilogue',
  law: 'ops(x @ w, e…) → linear(x, w, e…) {epilogue = ops($0, $1…)}',
  apply(mm, rw) {
    if (!isOp(mm, 'matmul') || mm.attrs.transA) return false;
    const ep = collectEpilogue(mm, rw);
    if (ep.end === mm.outputs[0]) return false;
    const [y] = rw.insertBefore(producer(ep.end)!, 'linear', [mm.inputs[0], mm.inputs[1], ...ep.extras], {
      transB: mm.attrs.transB, epilogue: printExpr(ep.expr),
    });
    rw.replace(ep.end, y);
    return true;
  },
};
