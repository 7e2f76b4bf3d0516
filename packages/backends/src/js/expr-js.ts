// The JavaScript target of the C-like renderer: Math.* calls, comparisons that give 0/1, i32
// arithmetic that wraps like Int32Array stores, casts with the op table's rules (truncate, NaN → 0,
// f16 as raw half bits, i64 as bigint), and Math.fround after every f32 op that can round, so a
// fused chain rounds exactly where the unfused graph stores.

import type { DType } from '@smelt/ir';
import { C_LIKE_OPS, CLikeRenderer, type OpTemplate, type ValueOp } from '../render/c-like.ts';

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

const math = (fn: string): OpTemplate => (args) => `Math.${fn}(${args.join(', ')})`;
const helper = (fn: string): OpTemplate => (args) => `${fn}(${args.join(', ')})`;
const test = (sym: string): OpTemplate => ([a, b]) => `(${a} ${sym} ${b} ? 1 : 0)`;

const JS_OPS: { readonly [K in ValueOp]: OpTemplate } = {
  ...C_LIKE_OPS,
  abs: math('abs'), exp: math('exp'), log: math('log'), sqrt: math('sqrt'), tanh: math('tanh'),
  sin: math('sin'), cos: math('cos'), pow: math('pow'), max: math('max'), min: math('min'),
  rsqrt: ([a]) => `(1 / Math.sqrt(${a}))`,
  erf: helper('erf'), relu: helper('relu'), sigmoid: helper('sigmoid'), gelu: helper('gelu'), gelu_tanh: helper('geluTanh'),
  eq: test('==='), ne: test('!=='), lt: test('<'), le: test('<='), gt: test('>'), ge: test('>='),
  and: ([a, b]) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`,
  or: ([a, b]) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`,
  not: ([a]) => `(${a} !== 0 ? 0 : 1)`,
  where: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
};

/** i32 ops that must wrap (or truncate) the way an Int32Array store of the reference result does. */
const I32_OPS: Partial<{ readonly [K in ValueOp]: OpTemplate }> = {
  add: ([a, b]) => `((${a} + ${b}) | 0)`,
  sub: ([a, b]) => `((${a} - ${b}) | 0)`,
  mul: ([a, b]) => `Math.imul(${a}, ${b})`,
  div: helper('idiv'),
  neg: ([a]) => `((-${a}) | 0)`,
  abs: ([a]) => `(Math.abs(${a}) | 0)`,
};

/** f32 ops whose result is always one of their f32 operands (or 0/1), so rounding is a no-op. */
const EXACT: ReadonlySet<ValueOp> = new Set<ValueOp>(['neg', 'abs', 'relu', 'max', 'min', 'where']);

/** How a dtype's values read as JS numbers: f16 as its raw bits, i64 as bigint, the rest as numbers. */
const toNumber = (x: string, from: DType): string => (from === 'f16' ? `f16ToF32(${x})` : from === 'i64' ? `Number(${x})` : x);

export class JsRenderer extends CLikeRenderer {
  protected readonly ops = JS_OPS;

  literal(v: number): string {
    const s = numberLiteral(v);
    return s.startsWith('-') ? `(${s})` : s;
  }

  cast(x: string, from: DType, to: DType): string {
    if (from === to) return x;
    if (to === 'bool') return from === 'i64' ? `(${x} !== 0n ? 1 : 0)` : from === 'f16' ? `((${x} & 0x7fff) !== 0 ? 1 : 0)` : `(${x} !== 0 ? 1 : 0)`;
    if (to === 'i64') return from === 'f32' || from === 'f16' ? `toI64(${toNumber(x, from)})` : `BigInt(${x})`;
    const v = toNumber(x, from);
    switch (to) {
      case 'f32': return from === 'f16' ? v : `Math.fround(${v})`;
      case 'f16': return `f32ToF16(${v})`;
      case 'i32': return `(${v} | 0)`;
      case 'u8': return `(${v} & 255)`;
      default: return to satisfies never;
    }
  }

  protected override special(op: ValueOp, args: readonly string[], types: readonly DType[]): string | undefined {
    return types[0] === 'i32' ? I32_OPS[op]?.(args) : undefined;
  }

  protected override round(code: string, op: ValueOp, dtype: DType): string {
    return dtype === 'f32' && !EXACT.has(op) ? `Math.fround(${code})` : code;
  }
}
