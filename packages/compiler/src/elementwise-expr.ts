// The expression an elementwise node computes on its operands ($0, $1, …), shared by the
// elementwise and matmul-epilogue fusions and by lowering: each elementwise op's definition says
// it (OpDef.expr).

import { type Expr, type Node, type Value, opDef } from '@smelt/ir';
import { constantOf } from './match.ts';

/** The expression of an elementwise node applied to `args` (its operands' expressions). */
export function nodeExpr(n: Node, args: readonly Expr[]): Expr {
  const expr = opDef(n.op).expr;
  if (!expr) throw new Error(`${n.op} is not elementwise: it has no expression`);
  return expr(n.attrs, args);
}

export const operandExprs = (count: number): Expr[] => Array.from({ length: count }, (_, i) => ({ k: 'in', i }) as const);

/** A scalar f32 constant as an expression literal (fusions inline these instead of reading them). */
export function literalOf(v: Value): Expr | undefined {
  const t = constantOf(v)?.attrs.value;
  return t && t.dtype === 'f32' && t.shape.length === 0 ? { k: 'const', v: t.data[0] as number } : undefined;
}
