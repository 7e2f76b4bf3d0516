// The expression an elementwise node computes on its operands ($0, $1, …), shared by the
// elementwise fusion and by lowering: each elementwise op's definition says it (OpDef.expr).

import { type Expr, type Node, opDef } from '@smelt/ir';

/** The expression of an elementwise node applied to `args` (its operands' expressions). */
export function nodeExpr(n: Node, args: readonly Expr[]): Expr {
  const expr = opDef(n.op).expr;
  if (!expr) throw new Error(`${n.op} is not elementwise: it has no expression`);
  return expr(n.attrs, args);
}

export const operandExprs = (count: number): Expr[] => Array.from({ length: count }, (_, i) => ({ k: 'in', i }) as const);
