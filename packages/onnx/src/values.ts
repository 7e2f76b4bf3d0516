// What an ONNX value is while importing. Most are graph values (`var`). Shape arithmetic is not:
// Shape, Gather, Concat, Range, ConstantOfShape… over values known at import evaluate here, into
// `static` tensors whose integer elements may be symbolic dims (`batch`, `2 * batch`,
// `srcLen - 1`), so a Reshape whose target was computed from Shape(x) gets dims, not a run-time
// tensor. A `fill` is ConstantOfShape of a symbolic shape (materialized only where broadcasting does
// not absorb it); a `weight` is an initializer, which becomes a graph parameter when a node reads
// it as data and a static tensor when one needs its values. A `sequence` (SplitToSequence,
// SequenceEmpty, a Loop's carried list) is a list of values known at import; it never reaches the
// graph: SequenceAt and ConcatFromSequence pick and join its items.

import { type DType, type Dim, type Tensor, type Var, dimAdd, dimDivExact, dimMul, dimSub } from '@smelt/ir';
import { isNonNegativeProduct } from './dims.ts';

/** An element of a static tensor: a number (any sign, float or integer) or a symbolic dim. */
export type El = number | string;

export interface Static {
  readonly kind: 'static';
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly El[];
}

export type Val =
  | { readonly kind: 'var'; readonly v: Var }
  | Static
  | { readonly kind: 'fill'; readonly dtype: DType; readonly shape: readonly Dim[]; readonly value: number }
  | { readonly kind: 'weight'; readonly name: string; readonly tensor: Tensor };

/** An ONNX sequence of tensors, its length known at import. */
export interface Sequence {
  readonly kind: 'sequence';
  readonly dtype: DType;
  readonly items: readonly Val[];
}

/** What an ONNX value name holds while importing: a tensor value or a sequence. */
export type Slot = Val | Sequence;

export const staticOf = (dtype: DType, shape: readonly number[], values: readonly El[]): Static => ({ kind: 'static', dtype, shape, values });

/** Weights at most this large also serve as static values (shape operands, small constants). */
export const STATIC_LIMIT = 4096;

export function weightStatic(t: Tensor): Static | undefined {
  if (t.data.length > STATIC_LIMIT) return undefined;
  return staticOf(t.dtype, t.shape, Array.from(t.data as ArrayLike<number>, Number));
}

/** The static form of a value, when it has one. */
export function asStatic(v: Val): Static | undefined {
  if (v.kind === 'static') return v;
  if (v.kind === 'weight') return weightStatic(v.tensor);
  if (v.kind === 'fill' && v.shape.every((d) => typeof d === 'number')) {
    const shape = v.shape as number[];
    const n = shape.reduce((a, d) => a * d, 1);
    if (n <= STATIC_LIMIT) return staticOf(v.dtype, shape, new Array<El>(n).fill(v.value));
  }
  return undefined;
}

/** The type of a value without building anything. */
export function shapeOfVal(v: Val): readonly Dim[] {
  switch (v.kind) {
    case 'var': return v.v.shape;
    case 'static': return v.shape;
    case 'fill': return v.shape;
    case 'weight': return v.tensor.shape;
    default: return v satisfies never;
  }
}

export function dtypeOfVal(v: Val): DType {
  switch (v.kind) {
    case 'var': return v.v.dtype;
    case 'static': case 'fill': return v.dtype;
    case 'weight': return v.tensor.dtype;
    default: return v satisfies never;
  }
}

// ---- element arithmetic: numbers as numbers, symbolic dims through dim-expr ----

const isNum = (e: El): e is number => typeof e === 'number';

/** A non-negative integer or a symbolic dim: usable as a size. */
export function asDim(e: El, what: string): Dim {
  if (isNum(e)) {
    if (!Number.isSafeInteger(e) || e < 0) throw new Error(`${what}: ${e} is not a size`);
    return e;
  }
  return e;
}

export function elAdd(a: El, b: El): El {
  return isNum(a) && isNum(b) ? a + b : dimAdd(a, b);
}

export function elSub(a: El, b: El): El {
  return isNum(a) && isNum(b) ? a - b : dimSub(a, b);
}

export function elMul(a: El, b: El): El {
  return isNum(a) && isNum(b) ? a * b : dimMul(a, b);
}

/** Division: integers truncate toward zero (ONNX Div on integers); a symbolic dim divides only exactly. */
export function elDiv(a: El, b: El, integer: boolean): El {
  if (isNum(a) && isNum(b)) return integer ? Math.trunc(a / b) : a / b;
  if (a === b) return 1;
  if (isNum(b) && b > 0 && Number.isInteger(b)) return dimDivExact(a, b);
  throw new Error(`cannot divide ${a} by ${b} at import`);
}

/**
 * a == b when decidable at import (equal text, two numbers, or a product of sizes against a negative
 * number: exporters test `shape == -1`); undefined when it depends on the symbols.
 */
export function elEq(a: El, b: El): boolean | undefined {
  if (a === b) return true;
  if (isNum(a) && isNum(b)) return false;
  if (isNum(a) ? a < 0 && isNonNegativeProduct(b) : isNum(b) && b < 0 && isNonNegativeProduct(a)) return false;
  return undefined;
}
