// The one Expr → WGSL renderer. Every elementwise body and matmul epilogue is an ir/expr.ts tree;
// this turns it into `let` statements (one per op, so no operand is evaluated twice) over operand
// values the caller provides. Each op is written by its record's `wgsl` template (@smelt/ir
// ops/expr/); the helper functions those call are in every shader's prelude (wgsl-prelude.ts).

import { type DType, EXPR_OPS, type Expr, foldExpr } from '@smelt/ir';
import { f32Literal } from './wgsl-types.ts';

export interface Operand {
  /** A WGSL expression of the operand's value (already loaded and converted to its value type). */
  readonly value: string;
  readonly dtype: DType;
}

export interface RenderedExpr {
  readonly lines: readonly string[];
  readonly value: string;
}

/** Render `e` over `operands` ($0, $1, …); new names start with `prefix`. */
export function renderExpr(e: Expr, operands: readonly Operand[], prefix = 'e'): RenderedExpr {
  const lines: string[] = [];
  const value = foldExpr<string>(e, operands.map((o) => o.dtype), {
    input: (i) => operands[i].value,
    constant: f32Literal,
    op(op, args, types) {
      const name = `${prefix}${lines.length}`;
      lines.push(`let ${name} = ${EXPR_OPS[op].wgsl.render(args, types)};`);
      return name;
    },
  });
  return { lines, value };
}
