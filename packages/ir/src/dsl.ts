// The DSL: `Var` is a symbolic tensor (a typed graph value plus its builder) with a fluent API,
// and the functions below are the same ops in functional form. Numbers mix in as scalar
// constants of the other operand's dtype.

import { type GraphBuilder, ShapeError } from './builder.ts';
import { userCallSite } from './callsite.ts';
import type { DType } from './dtype.ts';
import type { Value } from './graph.ts';
import type { BinaryKind, UnaryKind } from './ops/expr/table.ts';
import type { OpAttrs, OpKind } from './ops/types.ts';
import { type Dim, type Shape, formatType, normAxis } from './shape.ts';
import { tensor } from './tensor.ts';

export type Operand = Var | number;

export class Var {
  constructor(readonly b: GraphBuilder, readonly value: Value) {}

  get shape(): Shape { return this.value.type.shape; }
  get dtype(): DType { return this.value.type.dtype; }
  get rank(): number { return this.shape.length; }

  add(o: Operand): Var { return binary('add', this, o); }
  sub(o: Operand): Var { return binary('sub', this, o); }
  mul(o: Operand): Var { return binary('mul', this, o); }
  div(o: Operand): Var { return binary('div', this, o); }
  pow(o: Operand): Var { return binary('pow', this, o); }
  maximum(o: Operand): Var { return binary('max', this, o); }
  minimum(o: Operand): Var { return binary('min', this, o); }
  eq(o: Operand): Var { return binary('eq', this, o); }
  lt(o: Operand): Var { return binary('lt', this, o); }
  le(o: Operand): Var { return binary('le', this, o); }
  gt(o: Operand): Var { return binary('gt', this, o); }
  ge(o: Operand): Var { return binary('ge', this, o); }
  ne(o: Operand): Var { return binary('ne', this, o); }
  and(o: Operand): Var { return binary('and', this, o); }
  or(o: Operand): Var { return binary('or', this, o); }
  neg(): Var { return unary('neg', this); }
  exp(): Var { return unary('exp', this); }
  log(): Var { return unary('log', this); }
  sqrt(): Var { return unary('sqrt', this); }
  rsqrt(): Var { return unary('rsqrt', this); }
  tanh(): Var { return unary('tanh', this); }
  relu(): Var { return unary('relu', this); }
  sin(): Var { return unary('sin', this); }
  cos(): Var { return unary('cos', this); }
  erf(): Var { return unary('erf', this); }
  abs(): Var { return unary('abs', this); }
  not(): Var { return unary('not', this); }
  sigmoid(): Var { return unary('sigmoid', this); }
  silu(): Var { return unary('silu', this); }
  gelu(approximate: 'none' | 'tanh' = 'none'): Var { return op1(this, 'gelu', { approximate }); }
  cast(to: DType): Var { return to === this.dtype ? this : op1(this, 'cast', { to }); }
  matmul(o: Var, opts: Partial<OpAttrs['matmul']> = {}): Var { return matmul(this, o, opts); }
  reshape(shape: Shape): Var { return op1(this, 'reshape', { shape: [...shape] }); }
  transpose(perm: readonly number[]): Var { return op1(this, 'transpose', { perm: [...perm] }); }
  /** Swap the last two axes. */
  mT(): Var {
    const perm = this.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return this.transpose(perm);
  }
  /** Drop size-1 axes: the given ones (each must be 1), or every one. A view (reshape), no kernel. */
  squeeze(axes?: readonly number[]): Var {
    const drop = new Set(axes === undefined ? this.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => shapeAxis(this, 'squeeze', a, this.rank)));
    for (const a of drop) if (this.shape[a] !== 1) shapeFail(this, 'squeeze', `axis ${a} has size ${this.shape[a]}, not 1`);
    return this.reshape(this.shape.filter((_, i) => !drop.has(i)));
  }
  /** Insert a size-1 axis at `axis` (of the result; negative counts from its end). A view (reshape), no kernel. */
  unsqueeze(axis: number): Var {
    const at = shapeAxis(this, 'unsqueeze', axis, this.rank + 1);
    return this.reshape([...this.shape.slice(0, at), 1, ...this.shape.slice(at)]);
  }
  /** Broadcast to `shape` (torch's expand; -1 keeps a dim). Readers that broadcast read x itself (canonicalize). */
  expand(shape: readonly (Dim | -1)[]): Var {
    const off = shape.length - this.rank;
    const to = shape.map((d, i) => (d === -1 && i >= off ? this.shape[i - off] : d)) as Dim[];
    return op1(this, 'expand', { shape: to });
  }
  /** Constant padding: before[i] and after[i] entries of `value` around axis i (torch's F.pad lists the last axis first). */
  pad(before: readonly number[], after: readonly number[], value = 0): Var { return op1(this, 'pad', { before: [...before], after: [...after], value }); }
  slice(axis: number, start: Dim, size: Dim): Var { return op1(this, 'slice', { axis, start, size }); }
  sum(axes: readonly number[], keepdims = false): Var { return op1(this, 'reduce_sum', { axes: [...axes], keepdims }); }
  mean(axes: readonly number[], keepdims = false): Var { return op1(this, 'reduce_mean', { axes: [...axes], keepdims }); }
  max(axes: readonly number[], keepdims = false): Var { return op1(this, 'reduce_max', { axes: [...axes], keepdims }); }
  min(axes: readonly number[], keepdims = false): Var { return op1(this, 'reduce_min', { axes: [...axes], keepdims }); }
  argmax(axis: number, keepdims = false): Var { return op1(this, 'argmax', { axis, keepdims }); }
  /** Running sum along `axis` (exclusive: the sum before each element; reverse: from the end). */
  cumsum(axis: number, { exclusive = false, reverse = false } = {}): Var { return op1(this, 'cumsum', { axis, exclusive, reverse }); }
  /** The k largest (or smallest) along `axis`, sorted, ties by lower index: [values, i32 indices]. */
  topk(k: number, axis = -1, largest = true): [Var, Var] {
    const [values, indices] = emit(this.b, 'topk', [this], { k, axis, largest });
    return [values, indices];
  }
  softmax(axis = -1): Var { return op1(this, 'softmax', { axis }); }
  logSoftmax(axis = -1): Var { return op1(this, 'log_softmax', { axis }); }
}

/** A ShapeError for a DSL function that checks its operand itself, located at the user's call. */
function shapeFail(x: Var, op: string, why: string): never {
  throw new ShapeError(op, formatType(x.value.type), why, userCallSite());
}

function shapeAxis(x: Var, op: string, axis: number, rank: number): number {
  try {
    return normAxis(axis, rank);
  } catch (e) {
    return shapeFail(x, op, (e as Error).message);
  }
}

function emit<K extends OpKind>(b: GraphBuilder, op: K, inputs: readonly Var[], attrs: OpAttrs[K]): Var[] {
  return b.emit(op, inputs.map((v) => v.value), attrs).map((v) => new Var(b, v));
}

function op1<K extends OpKind>(x: Var, op: K, attrs: OpAttrs[K]): Var {
  return emit(x.b, op, [x], attrs)[0];
}

/** Declare a graph input and get its DSL handle. */
export function input(b: GraphBuilder, name: string, dtype: DType, shape: Shape): Var {
  return new Var(b, b.input(name, dtype, shape));
}

/** A scalar constant of the given dtype in builder b. */
export function scalar(b: GraphBuilder, value: number, dtype: DType = 'f32'): Var {
  const t = tensor(dtype === 'f32' || dtype === 'i32' || dtype === 'u8' || dtype === 'bool' ? dtype : 'f32', []);
  (t.data as Float32Array)[0] = value;
  return emit(b, 'constant', [], { value: t })[0];
}

function lift(o: Operand, like: Var): Var {
  return typeof o === 'number' ? scalar(like.b, o, like.dtype) : o;
}

export function unary(op: UnaryKind, x: Var): Var {
  return emit(x.b, op, [x], {})[0];
}

export function binary(op: BinaryKind, a: Operand, c: Operand): Var {
  if (typeof a === 'number' && typeof c === 'number') throw new Error(`${op}: at least one operand must be a tensor`);
  const like = typeof a === 'number' ? (c as Var) : a;
  return emit(like.b, op, [lift(a, like), lift(c, like)], {})[0];
}

export const add = (a: Operand, c: Operand): Var => binary('add', a, c);
export const sub = (a: Operand, c: Operand): Var => binary('sub', a, c);
export const mul = (a: Operand, c: Operand): Var => binary('mul', a, c);
export const div = (a: Operand, c: Operand): Var => binary('div', a, c);

export function matmul(a: Var, c: Var, opts: Partial<OpAttrs['matmul']> = {}): Var {
  return emit(a.b, 'matmul', [a, c], { transA: opts.transA ?? false, transB: opts.transB ?? false })[0];
}

export function where(cond: Var, a: Operand, c: Operand): Var {
  const like = typeof a === 'number' ? (typeof c === 'number' ? undefined : c) : a;
  if (!like) {
    return emit(cond.b, 'where', [cond, scalar(cond.b, a as number), scalar(cond.b, c as number)], {})[0];
  }
  return emit(cond.b, 'where', [cond, lift(a, like), lift(c, like)], {})[0];
}

/** LayerNorm over the last axis; without a bias when `bias` is undefined. */
export function layerNorm(x: Var, weight: Var, bias: Var | undefined, eps: number): Var {
  return emit(x.b, 'layer_norm', bias ? [x, weight, bias] : [x, weight], { eps })[0];
}

/** RMSNorm over the last axis: x · rsqrt(mean(x²) + eps) · weight. */
export function rmsNorm(x: Var, weight: Var, eps: number): Var {
  return emit(x.b, 'rms_norm', [x, weight], { eps })[0];
}

export function concat(xs: readonly Var[], axis: number): Var {
  if (xs.length === 0) throw new Error('concat: needs at least one operand');
  return emit(xs[0].b, 'concat', xs, { axis })[0];
}

export function split(x: Var, sizes: readonly Dim[], axis: number): Var[] {
  return emit(x.b, 'split', [x], { axis, sizes: [...sizes] });
}

export function gather(table: Var, indices: Var, axis = 0): Var {
  return emit(table.b, 'gather', [table, indices], { axis })[0];
}

/** `size` entries of x along `axis` from the run-time start `start` (an i32 scalar), clamped into [0, len - size]. */
export function dynamicSlice(x: Var, start: Var, axis: number, size: Dim): Var {
  return emit(x.b, 'dynamic_slice', [x, start], { axis, size })[0];
}

export function iota(b: GraphBuilder, shape: Shape, axis: number, dtype: DType = 'i32'): Var {
  return emit(b, 'iota', [], { shape: [...shape], axis, dtype })[0];
}

export function constant(b: GraphBuilder, value: import('./tensor.ts').Tensor): Var {
  return emit(b, 'constant', [], { value })[0];
}
