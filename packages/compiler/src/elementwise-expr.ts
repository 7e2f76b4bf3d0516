// The expression an elementwise node computes on its operands ($0, $1, …), shared by the
// elementwise fusion and by lowering.

import { type Expr, type ExprOp, type Node, parseExpr } from '@smelt/ir';

export function substitute(e: Expr, args: readonly Expr[]): Expr {
  if (e.k === 'in') return args[e.i];
  if (e.k === 'const') return e;
  return { k: 'op', op: e.op, args: e.args.map((a) => substitute(a, args)) };
}

/** The expression of an elementwise node applied to `args` (its operands' expressions). */
export function nodeExpr(n: Node, args: Expr[]): Expr {
  if (n.op === 'fused_elementwise') return substitute(parseExpr((n as Node<'fused_elementwise'>).attrs.expr), args);
  let op: ExprOp;
  if (n.op === 'gelu') op = (n as Node<'gelu'>).attrs.approximate === 'tanh' ? 'gelu_tanh' : 'gelu';
  else if (n.op === 'cast') op = `cast_${(n as Node<'cast'>).attrs.to}`;
  else op = n.op as ExprOp;
  return { k: 'op', op, args };
}

export const operandExprs = (count: number): Expr[] => Array.from({ length: count }, (_, i) => ({ k: 'in', i }) as const);
