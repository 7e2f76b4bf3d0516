// The JavaScript rendering of the expression IR: each op as its record's `js` template (records in
// @smelt/ir ops/expr/), with Math.fround after every non-root f32 op that can round, so a fused
// chain rounds exactly where the unfused graph stores. Literals spell NaN, ±Infinity and -0 so they
// parse back to themselves.

import { type DType, EXPR_OPS, type Expr, foldExpr } from '@smelt/ir';

/** A JS number literal: NaN, Infinity, -Infinity and -0 spelled so they parse back to themselves. */
export function numberLiteral(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** A JS string literal for any text: JSON escaping plus the two line separators JSON leaves raw. */
export function stringLiteral(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** An operand of an expression: the code that reads it and its dtype. */
export interface Operand {
  readonly code: string;
  readonly dtype: DType;
}

/** `e` over its operands as one JS expression; the root is not rounded (the store into the output does that). */
export function renderJs(e: Expr, operands: readonly Operand[]): string {
  return foldExpr<string>(e, operands.map((o) => o.dtype), {
    input: (i) => operands[i].code,
    constant(v) {
      const s = numberLiteral(v);
      return s.startsWith('-') ? `(${s})` : s;
    },
    op(op, args, types, result, root) {
      const rule = EXPR_OPS[op].js;
      const code = rule.render(args, types);
      return root || result !== 'f32' || rule.exact ? code : `Math.fround(${code})`;
    },
  });
}
