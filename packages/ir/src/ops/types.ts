// The shape of an op definition. Every op kind is declared once with this record:
// summary, example, traits, operand count, attribute specs, shape+dtype rule, reference evaluation.

import type { AttrSpec } from '../attrs.ts';
import type { DType } from '../dtype.ts';
import type { Expr } from '../expr.ts';
import type { Dim, SymbolEnv, TensorType } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import type { RowProgram } from '../row-program.ts';
import type { NodeExprKind } from './expr/table.ts';
import type { RowOpAttrs } from './rows.ts';

/** The elementwise ops made from expression records (ops/expr/): one per record, without attributes. */
type RecordOpAttrs = { [K in NodeExprKind]: {} };

/**
 * Attributes of every op kind. Adding a kind here without a definition in the table fails to
 * compile. The expression ops and the row ops (ops/rows.ts) bring their own entries.
 */
export interface OpAttrs extends RecordOpAttrs, RowOpAttrs {
  // elementwise ops that pick an expression op by attribute
  gelu: { approximate: 'none' | 'tanh' };
  cast: { to: DType };
  // reductions
  reduce_sum: { axes: number[]; keepdims: boolean };
  reduce_mean: { axes: number[]; keepdims: boolean };
  reduce_max: { axes: number[]; keepdims: boolean };
  reduce_min: { axes: number[]; keepdims: boolean };
  argmax: { axis: number; keepdims: boolean };
  cumsum: { axis: number; exclusive: boolean; reverse: boolean };
  topk: { k: number; axis: number; largest: boolean };
  rope: { interleaved: boolean };
  // contraction
  matmul: { transA: boolean; transB: boolean };
  conv1d: { stride: number; padding: number; dilation: number; groups: number };
  // movement
  reshape: { shape: Dim[] };
  transpose: { perm: number[] };
  slice: { axis: number; start: Dim; size: Dim };
  dynamic_slice: { axis: number; size: Dim };
  concat: { axis: number };
  split: { axis: number; sizes: Dim[] };
  gather: { axis: number };
  expand: { shape: Dim[] };
  pad: { before: number[]; after: number[]; value: number };
  // sources
  constant: { value: Tensor };
  iota: { shape: Dim[]; axis: number; dtype: DType };
  // fused ops (produced by the compiler, still interpretable)
  /** epilogue: an expression over $0 = x @ w(ᵀ) and $1… = the operands after w. */
  linear: { transB: boolean; epilogue: string };
  /** layout: where the head axis sits in q, k, v and the result; left out, bhsd. */
  attention: { scale: number; causal: boolean; layout?: AttentionLayout };
  fused_elementwise: { expr: string };
}

export type OpKind = keyof OpAttrs;

/** Where attention's head axis sits: bhsd [..., H, L, d] or bshd [..., L, H, d] (ops/attention.ts). */
export type AttentionLayout = 'bhsd' | 'bshd';

export type Trait =
  | 'elementwise' // output element i depends only on input elements at i (after broadcasting)
  | 'broadcast' // operands broadcast numpy-style
  | 'commutative'
  | 'reduction'
  | 'movement' // only moves or copies elements
  | 'source' // no operands
  | 'contraction' // matmul-like heavy op
  | 'fused'; // produced by a fusion; has an unfused meaning

export type AttrSchemaOf<A> = { readonly [P in keyof A]-?: AttrSpec };

export interface OpDef<K extends OpKind> {
  readonly summary: string;
  /** One line of IR text showing a use. */
  readonly example: string;
  readonly traits: readonly Trait[];
  /** Operand count: exact, or [min, max] (max Infinity for variadic). */
  readonly operands: number | readonly [number, number];
  readonly attrs: AttrSchemaOf<OpAttrs[K]>;
  /** Shape and dtype rule: result types from operand types, or throw a message without the op name. */
  infer(inputs: readonly TensorType[], attrs: OpAttrs[K]): TensorType[];
  /** Reference meaning on concrete tensors. */
  evaluate(inputs: readonly Tensor[], attrs: OpAttrs[K], env: SymbolEnv): Tensor[];
  /** Elementwise ops (and only they): the expression the node computes over its operands' expressions. */
  readonly expr?: (attrs: OpAttrs[K], args: readonly Expr[]) => Expr;
  /** Row ops (and only they, ops/rows.ts): the row program for these attributes and this many operands. */
  readonly row?: (attrs: OpAttrs[K], operands: number) => RowProgram;
  /** Row ops: the axis the rows run along, for an operand of this rank. */
  readonly rowAxis?: (attrs: OpAttrs[K], rank: number) => number;
}

/** The kinds whose nodes compute an expression of their operands: the elementwise ops. */
export type ExprNodeKind = NodeExprKind | 'gelu' | 'cast' | 'fused_elementwise';

/** The definition of an elementwise op: it must say which expression it computes. */
export type ExprOpDef<K extends ExprNodeKind> = OpDef<K> & { readonly expr: NonNullable<OpDef<K>['expr']> };

export type OpTable = { readonly [K in OpKind]: OpDef<K> };
