// The scalar expression IR of fused elementwise kernels: a tree over operands $0..$n, f32
// literals and the elementwise op kinds. It prints as text (`add(mul($0, $1), 0.5)`), parses
// back, infers its dtype, and evaluates with the same scalar rules as the op table.

import { formatNumber } from './attrs.ts';
import { type DType, isDType } from './dtype.ts';
import { geluErf, geluTanh } from './ops/math.ts';
import { BINARY_RULES, UNARY_RULES, binaryScalar, castScalar, storeAs, type BinaryKind, type UnaryKind } from './ops/elementwise.ts';

export type ExprOp = UnaryKind | BinaryKind | 'gelu' | 'gelu_tanh' | 'where' | `cast_${DType}`;

export type Expr =
  | { readonly k: 'in'; readonly i: number }
  | { readonly k: 'const'; readonly v: number }
  | { readonly k: 'op'; readonly op: ExprOp; readonly args: readonly Expr[] };

export function exprArity(op: ExprOp): number {
  if (op in BINARY_RULES) return 2;
  if (op === 'where') return 3;
  return 1;
}

export function isExprOp(s: string): s is ExprOp {
  if (s.startsWith('cast_')) return isDType(s.slice(5));
  return s in UNARY_RULES || s in BINARY_RULES || s === 'gelu' || s === 'gelu_tanh' || s === 'where';
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

const STORAGE_ONLY: readonly DType[] = ['f16', 'i64'];

/** Result dtype of an expression over operands of the given dtypes, by the op table's rules. */
export function exprDType(e: Expr, inputs: readonly DType[]): DType {
  const d = exprDTypeOf(e, inputs);
  if (STORAGE_ONLY.includes(d)) throw new Error(`expression ${printExpr(e)} computes ${d}, which is storage-only`);
  return d;
}

function exprDTypeOf(e: Expr, inputs: readonly DType[]): DType {
  switch (e.k) {
    case 'in':
      if (e.i >= inputs.length) throw new Error(`expression uses $${e.i} but has ${inputs.length} operands`);
      if (STORAGE_ONLY.includes(inputs[e.i])) throw new Error(`operand $${e.i} is ${inputs[e.i]}, which is storage-only`);
      return inputs[e.i];
    case 'const': return 'f32';
    case 'op': {
      const args = e.args.map((a) => exprDType(a, inputs));
      const op = e.op;
      if (op.startsWith('cast_')) return op.slice(5) as DType;
      if (op === 'where') {
        if (args[0] !== 'bool' || args[1] !== args[2]) throw new Error(`where(${args.join(', ')}) needs bool, T, T`);
        return args[1];
      }
      if (op === 'gelu' || op === 'gelu_tanh') return checkArgs(op, args, ['f32'], 'f32');
      if (op in UNARY_RULES) return checkArgs(op, args, UNARY_RULES[op as UnaryKind].dtypes, args[0]);
      const rule = BINARY_RULES[op as BinaryKind];
      if (args[0] !== args[1]) throw new Error(`${op}(${args.join(', ')}): operand dtypes differ`);
      return checkArgs(op, args, rule.dtypes, 'result' in rule ? rule.result : args[0]);
    }
    default: return e satisfies never;
  }
}

function checkArgs(op: string, args: readonly DType[], allowed: readonly DType[], result: DType): DType {
  if (!args.every((a) => allowed.includes(a))) throw new Error(`${op}(${args.join(', ')}) needs ${allowed.join(' or ')}`);
  return result;
}

export type ScalarProgram = (args: readonly number[]) => number;

/**
 * Turn an expression over operands of the given dtypes into a closure over their values. Every
 * op rounds its result to its dtype (f32 rounds, i32 wraps) exactly as the unfused graph stores it,
 * so fused == unfused bit for bit.
 */
export function compileExpr(e: Expr, inputs: readonly DType[]): ScalarProgram {
  switch (e.k) {
    case 'in': { const i = e.i; return (a) => a[i]; }
    case 'const': { const v = e.v; return () => v; }
    case 'op': {
      const args = e.args.map((x) => compileExpr(x, inputs));
      const fn = scalarOf(e.op, e.args.map((x) => exprDType(x, inputs)));
      const r = storeAs(exprDType(e, inputs));
      if (args.length === 1) { const [x] = args; return (a) => r(fn(x(a))); }
      if (args.length === 2) { const [x, y] = args; return (a) => r(fn(x(a), y(a))); }
      const [c, x, y] = args;
      return (a) => r(fn(c(a), x(a), y(a)));
    }
    default: return e satisfies never;
  }
}

function scalarOf(op: ExprOp, argTypes: readonly DType[]): (...xs: number[]) => number {
  if (op === 'gelu') return geluErf;
  if (op === 'gelu_tanh') return geluTanh;
  if (op === 'where') return (c, a, b) => (c ? a : b);
  if (op.startsWith('cast_')) return castScalar(op.slice(5) as DType);
  if (op in UNARY_RULES) return UNARY_RULES[op as UnaryKind].fn;
  return binaryScalar(op as BinaryKind, argTypes[0]);
}
