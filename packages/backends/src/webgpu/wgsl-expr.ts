// The one Expr → WGSL renderer. Every elementwise body and matmul epilogue is an ir/expr.ts tree;
// this turns it into `let` statements (one per op, so no operand is evaluated twice) over operand
// values the caller provides. The op table below says, per expression op and value type, which
// WGSL computes it; helpers it names live in wgsl-prelude.ts. Nothing here is per-fusion.

import type { DType, Expr, ExprOp } from '@smelt/ir';
import { type ValueType, f32Literal, literal, valueType } from './wgsl-types.ts';

export interface Operand {
  /** A WGSL expression of the operand's value (already loaded and converted). */
  readonly value: string;
  readonly type: ValueType;
}

export interface RenderedExpr {
  readonly lines: readonly string[];
  readonly value: string;
  readonly type: ValueType;
}

type Rule = (args: readonly string[], types: readonly ValueType[]) => { code: string; type: ValueType };

const same = (code: string, types: readonly ValueType[]) => ({ code, type: types[0] });
const asBool = (code: string) => ({ code, type: 'bool' as const });
/** Comparisons read bools as integers (WGSL orders no bools). */
const ordered = (a: string, t: ValueType) => (t === 'bool' ? `i32(${a})` : a);

const f32Fn = (fn: string): Rule => ([x]) => ({ code: `${fn}(${x})`, type: 'f32' });
const compare = (op: string): Rule => ([a, b], [t]) => asBool(`(${ordered(a, t)} ${op} ${ordered(b, t)})`);
const numeric = (f32: (a: string, b: string) => string, i32: (a: string, b: string) => string): Rule =>
  ([a, b], types) => same(types[0] === 'f32' ? f32(a, b) : i32(a, b), types);

const RULES: { readonly [K in Exclude<ExprOp, `cast_${string}`>]: Rule } = {
  neg: ([x], t) => same(`(-${x})`, t),
  abs: ([x], t) => same(`abs(${x})`, t),
  exp: f32Fn('exp'),
  log: f32Fn('log'),
  sqrt: f32Fn('sqrt'),
  rsqrt: f32Fn('inverseSqrt'),
  tanh: f32Fn('tanh_f32'),
  erf: f32Fn('erf_f32'),
  relu: ([x], t) => same(t[0] === 'f32' ? `relu_f32(${x})` : `relu_i32(${x})`, t),
  sigmoid: f32Fn('sigmoid_f32'),
  sin: f32Fn('sin'),
  cos: f32Fn('cos'),
  not: ([x]) => asBool(`(!${x})`),
  gelu: f32Fn('gelu_f32'),
  gelu_tanh: f32Fn('gelu_tanh_f32'),
  add: ([a, b], t) => same(`(${a} + ${b})`, t),
  sub: ([a, b], t) => same(`(${a} - ${b})`, t),
  mul: ([a, b], t) => same(`(${a} * ${b})`, t),
  div: numeric((a, b) => `(${a} / ${b})`, (a, b) => `div_i32(${a}, ${b})`),
  pow: ([a, b]) => ({ code: `pow_f32(${a}, ${b})`, type: 'f32' }),
  max: numeric((a, b) => `max_f32(${a}, ${b})`, (a, b) => `max(${a}, ${b})`),
  min: numeric((a, b) => `min_f32(${a}, ${b})`, (a, b) => `min(${a}, ${b})`),
  eq: ([a, b]) => asBool(`(${a} == ${b})`),
  // Drivers may compile != as an ordered comparison; NaN != x must be true.
  ne: ([a, b], [t]) => asBool(t === 'f32' ? `(${a} != ${b} || is_nan(${a}) || is_nan(${b}))` : `(${a} != ${b})`),
  lt: compare('<'),
  le: compare('<='),
  gt: compare('>'),
  ge: compare('>='),
  and: ([a, b]) => asBool(`(${a} && ${b})`),
  or: ([a, b]) => asBool(`(${a} || ${b})`),
  where: ([c, a, b], t) => ({ code: `select(${b}, ${a}, ${c})`, type: t[1] }),
};

/** Convert a value of type `from` to dtype `to` with the op table's cast rules. */
export function castValue(v: string, from: ValueType, to: DType): string {
  if (to === 'bool') return from === 'bool' ? v : from === 'f32' ? `(${v} != 0.0f || is_nan(${v}))` : `(${v} != 0i)`;
  const target = valueType(to);
  if (target === 'f32') {
    const f = from === 'f32' ? v : from === 'i32' ? `f32(${v})` : `select(0.0f, 1.0f, ${v})`;
    return to === 'f16' ? `round_f16(${f})` : f;
  }
  const i = from === 'f32' ? `f32_to_i32(${v})` : from === 'i32' ? v : `select(0i, 1i, ${v})`;
  return to === 'u8' ? `(${i} & 255i)` : i;
}

/** Render `e` over `operands` ($0, $1, …); new names start with `prefix`. */
export function renderExpr(e: Expr, operands: readonly Operand[], prefix = 'e'): RenderedExpr {
  const lines: string[] = [];
  const walk = (x: Expr): Operand => {
    switch (x.k) {
      case 'in': {
        const o = operands[x.i];
        if (!o) throw new Error(`expression uses $${x.i} but the kernel has ${operands.length} operands`);
        return o;
      }
      case 'const': return { value: f32Literal(x.v), type: 'f32' };
      case 'op': {
        const args = x.args.map(walk);
        const name = `${prefix}${lines.length}`;
        const { code, type } = renderOp(x.op, args);
        lines.push(`let ${name} = ${code};`);
        return { value: name, type };
      }
      default: return x satisfies never;
    }
  };
  const out = walk(e);
  return { lines, value: out.value, type: out.type };
}

function renderOp(op: ExprOp, args: readonly Operand[]): { code: string; type: ValueType } {
  if (op.startsWith('cast_')) {
    const to = op.slice(5) as DType;
    return { code: castValue(args[0].value, args[0].type, to), type: valueType(to) };
  }
  return RULES[op as keyof typeof RULES](args.map((a) => a.value), args.map((a) => a.type));
}
