// The rendering base every source-emitting backend shares: expression IR (ir/expr.ts) → source
// text through an op → expression table written for C-like languages (infix operators, math calls,
// `c ? a : b`), plus safe comments and block indentation. A target (JS, WGSL, C for WASM) subclasses
// the renderer and overrides only what differs: literals, casts, a few ops, rounding.

import { BINARY_RULES, type DType, type Expr, type ExprOp } from '@smelt/ir';

/** Every op of the expression IR except casts, which `cast` renders from the operand and result dtypes. */
export type ValueOp = Exclude<ExprOp, `cast_${string}`>;

/** How an op is written: its rendered operands in, an expression out. */
export type OpTemplate = (args: readonly string[]) => string;

const infix = (sym: string): OpTemplate => ([a, b]) => `(${a} ${sym} ${b})`;
const call = (fn: string): OpTemplate => (args) => `${fn}(${args.join(', ')})`;

/** The C-like reading of every op; targets replace entries (and names of math functions) as needed. */
export const C_LIKE_OPS: { readonly [K in ValueOp]: OpTemplate } = {
  neg: ([a]) => `(-${a})`, abs: call('abs'), exp: call('exp'), log: call('log'), sqrt: call('sqrt'),
  rsqrt: call('rsqrt'), tanh: call('tanh'), erf: call('erf'), relu: call('relu'), sigmoid: call('sigmoid'),
  sin: call('sin'), cos: call('cos'), not: ([a]) => `(!${a})`,
  gelu: call('gelu'), gelu_tanh: call('gelu_tanh'),
  add: infix('+'), sub: infix('-'), mul: infix('*'), div: infix('/'), pow: call('pow'), max: call('max'), min: call('min'),
  eq: infix('=='), ne: infix('!='), lt: infix('<'), le: infix('<='), gt: infix('>'), ge: infix('>='),
  and: infix('&&'), or: infix('||'),
  where: ([c, a, b]) => `(${c} ? ${a} : ${b})`,
};

/** An operand of an expression: the code that reads it and its dtype. */
export interface Operand {
  readonly code: string;
  readonly dtype: DType;
}

/**
 * The dtype an op gives, by the op table's rules. Unlike exprDType this accepts the storage dtypes
 * (f16, i64): an unfused cast or where over them lowers to a one-op expression too.
 */
export function resultDType(op: ExprOp, args: readonly DType[]): DType {
  if (op.startsWith('cast_')) return op.slice(5) as DType;
  if (op === 'where') return args[1];
  if (op === 'not') return 'bool';
  const rule = (BINARY_RULES as Record<string, { result?: DType }>)[op];
  return rule?.result ?? args[0];
}

function dtypeOf(e: Expr, types: readonly DType[]): DType {
  if (e.k === 'in') return types[e.i];
  if (e.k === 'const') return 'f32';
  return resultDType(e.op, e.args.map((a) => dtypeOf(a, types)));
}

export abstract class CLikeRenderer {
  /** The target's op table: C_LIKE_OPS with its own entries over it. */
  protected abstract readonly ops: { readonly [K in ValueOp]: OpTemplate };

  /** A literal of the expression IR (always f32-valued): NaN, ±inf and -0 included. */
  abstract literal(v: number): string;

  /** `x` of dtype `from` converted to `to` with the op table's cast rules. */
  abstract cast(x: string, from: DType, to: DType): string;

  /** Ops whose operand dtypes change how they are written (integer division, say); undefined = the table. */
  protected special(_op: ValueOp, _args: readonly string[], _types: readonly DType[]): string | undefined {
    return undefined;
  }

  /** Wrap a non-root op result so it rounds where the reference stores it; the default keeps it. */
  protected round(code: string, _op: ValueOp, _dtype: DType): string {
    return code;
  }

  /** Render `e` over its operands; the root is not rounded (the store into the output does that). */
  render(e: Expr, operands: readonly Operand[]): { code: string; dtype: DType } {
    const types = operands.map((o) => o.dtype);
    return { code: this.node(e, operands, types, true), dtype: dtypeOf(e, types) };
  }

  private node(e: Expr, operands: readonly Operand[], types: readonly DType[], root: boolean): string {
    switch (e.k) {
      case 'in': return operands[e.i].code;
      case 'const': return this.literal(e.v);
      case 'op': {
        const args = e.args.map((a) => this.node(a, operands, types, false));
        const argTypes = e.args.map((a) => dtypeOf(a, types));
        if (e.op.startsWith('cast_')) return this.cast(args[0], argTypes[0], e.op.slice(5) as DType);
        const op = e.op as ValueOp;
        const code = this.special(op, args, argTypes) ?? this.ops[op](args);
        return root ? code : this.round(code, op, resultDType(op, argTypes));
      }
      default: return e satisfies never;
    }
  }
}

/** Text made safe for a `//` or block comment: no line breaks or other control characters, no comment terminator. */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/\*\//g, '* /');
}

/** Lines of a block: `head {`, the body indented by two spaces, `}`. */
export function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...body.map((l) => (l === '' ? l : `  ${l}`)), '}'];
}
