// Attribute specs and literals: how each op's typed attributes are validated, printed and parsed.
// Every op declares a spec per attribute; the printer and parser are generic over these specs.

import { type DType, isDType } from './dtype.ts';
import { parseExpr } from './expr.ts';
import { type Dim, canonicalDim, checkDim } from './shape.ts';
import type { Tensor } from './tensor.ts';

export type AttrSpec =
  | { readonly kind: 'int' }
  | { readonly kind: 'float' }
  | { readonly kind: 'bool' }
  /** `default`: the value an omitted attribute takes; the printer and JSON leave it out, so graphs written before it existed read and print as they did. */
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly default?: string }
  | { readonly kind: 'ints' }
  | { readonly kind: 'dim' }
  | { readonly kind: 'dims' }
  | { readonly kind: 'dtype' }
  | { readonly kind: 'tensor' }
  | { readonly kind: 'string' }
  /** An expression over operands $0, $1, … (expr.ts), written as a string. */
  | { readonly kind: 'expr' };

/** A parsed attribute literal before it is checked against a spec. */
export type AttrLiteral =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'ident'; readonly v: string }
  | { readonly t: 'list'; readonly v: readonly AttrLiteral[] }
  | { readonly t: 'dense'; readonly v: Tensor };

export type AttrValue = number | boolean | string | Dim | readonly Dim[] | readonly number[] | DType | Tensor;

export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

function fail(op: string, name: string, want: string, got: unknown): never {
  throw new Error(`${op}: attribute ${name} must be ${want}, got ${JSON.stringify(got) ?? String(got)}`);
}

/** Check a JS value against a spec; used by the builder, the parser and the verifier. */
export function checkAttr(op: string, name: string, spec: AttrSpec, v: unknown): void {
  if (v === undefined && attrDefault(spec) !== undefined) return;
  switch (spec.kind) {
    case 'int':
      if (!Number.isSafeInteger(v)) fail(op, name, 'an integer', v);
      return;
    case 'float':
      if (typeof v !== 'number') fail(op, name, 'a number', v);
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(op, name, 'a boolean', v);
      return;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) fail(op, name, `one of ${spec.values.join('|')}`, v);
      return;
    case 'string':
      if (typeof v !== 'string') fail(op, name, 'a string', v);
      return;
    case 'expr':
      if (typeof v !== 'string') fail(op, name, 'an expression string', v);
      try {
        parseExpr(v as string);
      } catch (e) {
        fail(op, name, `an expression (${(e as Error).message})`, v);
      }
      return;
    case 'ints':
      if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x))) fail(op, name, 'a list of integers', v);
      return;
    case 'dim':
      if (typeof v !== 'number' && typeof v !== 'string') fail(op, name, 'a dim', v);
      checkDim(v, `${op}: attribute ${name}`);
      return;
    case 'dims':
      if (!Array.isArray(v)) fail(op, name, 'a list of dims', v);
      for (const d of v as unknown[]) {
        if (typeof d !== 'number' && typeof d !== 'string') fail(op, name, 'a list of dims', v);
        checkDim(d as Dim, `${op}: attribute ${name}`);
      }
      return;
    case 'dtype':
      if (typeof v !== 'string' || !isDType(v)) fail(op, name, 'a dtype', v);
      return;
    case 'tensor':
      if (typeof v !== 'object' || v === null || !('data' in v)) fail(op, name, 'a tensor', '<non-tensor>');
      return;
    default:
      return spec satisfies never;
  }
}

/** A dim written by hand (`'n-1'`, `'1 + n'`) in its canonical form; anything else as it is, for checkAttr to judge. */
function canonicalOrSame(v: unknown): unknown {
  if (typeof v !== 'string' && typeof v !== 'number') return v;
  try {
    return canonicalDim(v);
  } catch {
    return v;
  }
}

/** The value an attribute takes when it is not written, or undefined when it must be written. */
export function attrDefault(spec: AttrSpec): string | undefined {
  return spec.kind === 'enum' ? spec.default : undefined;
}

/** True when `v` is the attribute's default (or left out where it has one): the printer and JSON leave it out. */
export function isDefaultAttr(spec: AttrSpec, v: unknown): boolean {
  const d = attrDefault(spec);
  return d !== undefined && (v === d || v === undefined);
}

/** Attributes as the DSL was given them, with every dim made canonical and omitted defaults filled in (the builder's first step). */
export function canonicalAttrs(specs: Readonly<Record<string, AttrSpec>>, attrs: object): object {
  const out: Record<string, unknown> = { ...attrs };
  for (const [k, spec] of Object.entries(specs)) {
    if (out[k] === undefined && attrDefault(spec) !== undefined) out[k] = attrDefault(spec);
    const v = out[k];
    if (spec.kind === 'dim') out[k] = canonicalOrSame(v);
    else if (spec.kind === 'dims' && Array.isArray(v)) out[k] = v.map(canonicalOrSame);
  }
  return out;
}

/** A shape as the DSL was given it, with every dim made canonical. */
export function canonicalShape(shape: readonly Dim[]): Dim[] {
  return shape.map((d) => canonicalOrSame(d) as Dim);
}

/** Convert a parsed literal to the JS value a spec wants. */
export function attrFromLiteral(op: string, name: string, spec: AttrSpec, lit: AttrLiteral): AttrValue {
  const value = plainValue(lit);
  checkAttr(op, name, spec, value);
  return value as AttrValue;
}

function plainValue(lit: AttrLiteral): unknown {
  switch (lit.t) {
    case 'list': return lit.v.map(plainValue);
    default: return lit.v;
  }
}
