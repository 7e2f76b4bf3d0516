// The scalar expression IR of fused elementwise kernels and matmul epilogues: a tree over operands
// $0..$n, f32 literals and the expression ops (one record each, ops/expr/). It prints as text
// (`add(mul($0, $1), 0.5)`), parses back, and is walked by one typed fold (`foldExpr`) that infers
// every node's dtype by the records' rule: the evaluator and every backend's renderer are folds.

import { formatNumber } from './attrs.ts';
import type { DType } from './dtype.ts';
import { storeAs } from './ops/expr/cast.ts';
import { EXPR_OPS, type ExprOp, exprOpDType, isExprOp } from './ops/expr/table.ts';

export { type ExprOp, isExprOp };

export type Expr =
  | { readonly k: 'in'; readonly i: number }
  | { readonly k: 'const'; readonly v: number }
  | { readonly k: 'op'; readonly op: ExprOp; readonly args: readonly Expr[] };

export function exprArity(op: ExprOp): number {
  return EXPR_OPS[op].arity;
}

export function printExpr(e: Expr): string {
  switch (e.k) {
    case 'in': return `$${e.i}`;
    case 'const': return formatNumber(e.v);
    case 'op': return `${e.op}(${e.args.map(printExpr).join(', ')})`;
    default: return e satisfies never;
  }
}

/** Parse expression text; throws naming the position on bad input. */
export function parseExpr(text: string): Expr {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`expression ${JSON.stringify(text)}: ${why} at offset ${pos}`);
  };
  const skip = () => { while (text[pos] === ' ') pos++; };
  const node = (): Expr => {
    skip();
    const rest = text.slice(pos);
    let m = /^\$(\d+)/.exec(rest);
    if (m) { pos += m[0].length; return { k: 'in', i: Number(m[1]) }; }
    m = /^(-?inf|nan|-?\d+(\.\d+)?(e[+-]?\d+)?|-0)/i.exec(rest);
    if (m) { pos += m[0].length; return { k: 'const', v: parseNumberLiteral(m[0]) }; }
    m = /^[a-z_0-9]+/.exec(rest);
    if (!m || !isExprOp(m[0])) return fail('expected $n, a number or an op name');
    const op = m[0] as ExprOp;
    pos += m[0].length;
    if (text[pos++] !== '(') fail(`expected "(" after ${op}`);
    const args: Expr[] = [];
    for (;;) {
      args.push(node());
      skip();
      const c = text[pos++];
      if (c === ')') break;
      if (c !== ',') fail('expected "," or ")"');
    }
    if (args.length !== exprArity(op)) fail(`${op} takes ${exprArity(op)} operands, got ${args.length}`);
    return { k: 'op', op, args };
  };
  const e = node();
  skip();
  if (pos !== text.length) fail('unexpected trailing text');
  return e;
}

export function parseNumberLiteral(s: string): number {
  const l = s.toLowerCase();
  if (l === 'inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan') return NaN;
  return Number(s);
}

/** Replace operand $i of `e` by args[i]. */
export function substitute(e: Expr, args: readonly Expr[]): Expr {
  if (e.k === 'in') return args[e.i];
  if (e.k === 'const') return e;
  return { k: 'op', op: e.op, args: e.args.map((a) => substitute(a, args)) };
}

/** What a walk over an expression does at each node; `types` are the operands' dtypes, `result` the node's. */
export interface ExprFold<T> {
  input(i: number, dtype: DType): T;
  constant(v: number): T;
  op(op: ExprOp, args: readonly T[], types: readonly DType[], result: DType, root: boolean): T;
}

/**
 * The one typed walk over expressions: operands first, left to right, each node's dtype by the op
 * records' rule (storage dtypes allowed where a rule takes them: casts, where). Renderers, the
 * evaluator and the dtype check are folds.
 */
export function foldExpr<T>(e: Expr, inputs: readonly DType[], f: ExprFold<T>): T {
  const walk = (x: Expr, root: boolean): { value: T; dtype: DType } => {
    switch (x.k) {
      case 'in':
        if (x.i >= inputs.length) throw new Error(`expression uses $${x.i} but has ${inputs.length} operands`);
        return { value: f.input(x.i, inputs[x.i]), dtype: inputs[x.i] };
      case 'const': return { value: f.constant(x.v), dtype: 'f32' };
      case 'op': {
        const args = x.args.map((a) => walk(a, false));
        const types = args.map((a) => a.dtype);
        const dtype = exprOpDType(x.op, types);
        return { value: f.op(x.op, args.map((a) => a.value), types, dtype, root), dtype };
      }
      default: return x satisfies never;
    }
  };
  return walk(e, true).value;
}

const STORAGE_ONLY: readonly DType[] = ['f16', 'i64'];

/** Result dtype of a fused expression: no operand, intermediate or result may be storage-only (f16, i64). */
export function exprDType(e: Expr, inputs: readonly DType[]): DType {
  return foldExpr<DType>(e, inputs, {
    input(i, dtype) {
      if (STORAGE_ONLY.includes(dtype)) throw new Error(`operand $${i} is ${dtype}, which is storage-only`);
      return dtype;
    },
    constant: () => 'f32',
    op(_op, _args, _types, result) {
      if (STORAGE_ONLY.includes(result)) throw new Error(`expression ${printExpr(e)} computes ${result}, which is storage-only`);
      return result;
    },
  });
}

export type ScalarProgram = (args: readonly number[]) => number;

/**
 * Turn an expression over operands of the given dtypes into a closure over their values. Every
 * op rounds its result to its dtype (f32 rounds, i32 wraps) exactly as the unfused graph stores it,
 * so fused == unfused bit for bit.
 */
export function compileExpr(e: Expr, inputs: readonly DType[]): ScalarProgram {
  return foldExpr<ScalarProgram>(e, inputs, {
    input: (i) => (a) => a[i],
    constant: (v) => () => v,
    op(op, args, types, result) {
      const fn = EXPR_OPS[op].scalar(types);
      const r = storeAs(result);
      if (args.length === 1) { const [x] = args; return (a) => r(fn(x(a))); }
      if (args.length === 2) { const [x, y] = args; return (a) => r(fn(x(a), y(a))); }
      const [c, x, y] = args;
      return (a) => r(fn(c(a), x(a), y(a)));
    },
  });
}
