// The record of an expression op: everything smelt knows about one elementwise op, in one place —
// its dtype rule, its reference meaning, and how each target writes it (JavaScript, WGSL, wasm).
// The records of a family live in one file (arith.ts, logic.ts, …); table.ts joins them. Every
// target field is required, so an op without a rendering for some target does not compile, and
// the helper functions a rendering calls are values of the record, not names looked up elsewhere.

import type { DType } from '../../dtype.ts';
import type { WasmRule } from './wasm.ts';

/** A dtype rule's verdict: the result dtype, or what the op needs (`{ needs: 'f32 or i32' }`). */
export type DTypeVerdict = DType | { readonly needs: string };

/** The scalar meaning on doubles; the caller stores (rounds or wraps) the result as its dtype. */
export type ScalarFn = (...xs: number[]) => number;

/** A function a rendering calls, defined once per emitted JS module or WGSL shader. */
export interface Helper {
  readonly name: string;
  /** Its definition: TypeScript for JS helpers, WGSL for WGSL helpers. */
  readonly source: string;
  /** Helpers its definition calls. */
  readonly uses?: readonly Helper[];
}

export const helper = (name: string, source: string, uses?: readonly Helper[]): Helper => ({ name, source, ...(uses ? { uses } : {}) });

/** How a C-like target (JS, WGSL) writes the op: rendered operands and their dtypes in, an expression out. */
export interface SourceRule {
  readonly render: (args: readonly string[], types: readonly DType[]) => string;
  readonly helpers?: readonly Helper[];
}

export interface JsRule extends SourceRule {
  /** An f32 result is always one of the operands (or 0/1), so it needs no Math.fround. */
  readonly exact?: boolean;
}

export interface ExprOpRecord {
  readonly summary: string;
  readonly arity: 1 | 2 | 3;
  /** Result dtype from the operand dtypes (storage dtypes f16 and i64 included: casts and where take them). */
  readonly dtype: (args: readonly DType[]) => DTypeVerdict;
  /** The reference meaning on operands of these dtypes (the interpreter, constant folding, fused kernels). */
  readonly scalar: (args: readonly DType[]) => ScalarFn;
  /** Operands may swap (a graph trait the passes use). */
  readonly commutative?: boolean;
  readonly js: JsRule;
  readonly wgsl: SourceRule;
  readonly wasm: WasmRule;
}

export const F32: readonly DType[] = ['f32'];
export const NUM: readonly DType[] = ['f32', 'i32'];
export const BOOL: readonly DType[] = ['bool'];
export const ORDERED: readonly DType[] = ['f32', 'i32', 'bool', 'u8'];

/** Operands all of one dtype out of `allowed`; the result has that dtype, or `result`. */
export function sameDType(allowed: readonly DType[], result?: DType): ExprOpRecord['dtype'] {
  return (args) => {
    if (!args.every((a) => allowed.includes(a))) return { needs: allowed.join(' or ') };
    if (!args.every((a) => a === args[0])) return { needs: 'operands of one dtype' };
    return result ?? args[0];
  };
}

/** The same scalar function for every operand dtype. */
export const always = (fn: ScalarFn) => (): ScalarFn => fn;

// ---- C-like templates (JS and WGSL) ----

export const infix = (sym: string): SourceRule['render'] => ([a, b]) => `(${a} ${sym} ${b})`;
export const call = (fn: string): SourceRule['render'] => (args) => `${fn}(${args.join(', ')})`;

/** A rule that calls `helper` on the operands. */
export function viaHelper(helper: Helper, extra: Partial<JsRule> = {}): JsRule {
  return { render: call(helper.name), helpers: [helper], ...extra };
}

/** One rendering for floats and another for integers, chosen by the first operand's dtype. */
export const byFloat = (float: SourceRule['render'], int: SourceRule['render']): SourceRule['render'] =>
  (args, types) => (types[0] === 'f32' || types[0] === 'f16' ? float : int)(args, types);
