// The one Expr → WGSL renderer. Every elementwise body and matmul epilogue is an ir/expr.ts tree;
// this turns it into `let` statements (one per op, so no operand is evaluated twice) over operand
// values the caller provides. Constants are `let`s too: an op whose operands are all literals is a
// WGSL const-expression, evaluated when the shader is created, where a value outside the op's domain
// (`sqrt(-2.0f)`, an f32 overflow) is a shader error instead of the NaN or inf it is at run time.
// Each op is written by its record's `wgsl` template (@smelt/ir ops/expr/); the helper functions
// those call are in every shader's prelude (wgsl-prelude.ts).

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
    constant: (v) => bind(f32Literal(v)),
    op: (op, args, types) => bind(EXPR_OPS[op].wgsl.render(args, types)),
  });
  return { lines, value };

  /** A new `let` holding `value`: constants too, so no op's operands are all literals (see above). */
  function bind(value: string): string {
    const name = `${prefix}${lines.length}`;
    lines.push(`let ${name} = ${value};`);
    return name;
  }
}
