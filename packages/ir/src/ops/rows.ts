// Row ops: each is one record saying what it computes over a row as a row program
// (row-program.ts: the row value, reductions and scalars, the output), its operands' roles and its
// attributes. From the record come its graph op (shape rule, reference evaluation), its `OpAttrs`
// entry (ROW_OP_ATTRS, typed from the attribute specs) and its lowering to the plan's `row`
// kernel, which every backend renders; adding a row op is adding a record here.

import type { AttrSpec } from '../attrs.ts';
import type { Expr } from '../expr.ts';
import { type RowProgram, RowBuilder, evaluateRows, rx } from '../row-program.ts';
import { type TensorType, formatType, normAxis } from '../shape.ts';
import { type Tensor, numel } from '../tensor.ts';
import { broadcastIndex, broadcastsTo, describe, requireDTypes } from './ref-util.ts';
import type { OpDef, Trait } from './types.ts';

const { add, sub, mul, div, exp, log, rsqrt, eq, where } = rx;

/** How an operand relates to the rows: the rows themselves, broadcast to them (mask, residual), or one value per row element (weight, bias). */
type Role = 'rows' | 'broadcast' | 'per-element';
interface OperandSpec { readonly name: string; readonly role: Role; readonly optional?: true }
const rows: OperandSpec = { name: 'x', role: 'rows' };
const broadcast = (name: string, optional?: true): OperandSpec => ({ name, role: 'broadcast', ...(optional ? { optional } : {}) });
const perElement = (name: string, optional?: true): OperandSpec => ({ name, role: 'per-element', ...(optional ? { optional } : {}) });

type AttrType<S extends AttrSpec> = S extends { kind: 'int' | 'float' } ? number : S extends { kind: 'bool' } ? boolean : never;
type AttrsOf<S> = { -readonly [P in keyof S]: S[P] extends AttrSpec ? AttrType<S[P]> : never };

export interface RowOpRecord<S extends Readonly<Record<string, AttrSpec>>> {
  readonly summary: string;
  readonly example: string;
  /** Produced by a fusion (it has an unfused meaning). */
  readonly fused?: true;
  readonly operands: readonly OperandSpec[];
  readonly attrs: S;
  /** The axis its rows run along (default: the last). */
  axis?(attrs: AttrsOf<S>): number;
  /** The row program for these attributes and this many operands (optional ones may be absent). */
  row(attrs: AttrsOf<S>, r: RowBuilder): RowProgram;
}

const rowOp = <const S extends Readonly<Record<string, AttrSpec>>>(r: RowOpRecord<S>): RowOpRecord<S> => r;

/** softmax(v) with a row of all -inf (nothing to attend to) giving NaN, as PyTorch does. */
function softmaxOf(r: RowBuilder, v: Expr, log_: boolean): RowProgram {
  const max = r.reduce('max', v);
  const shift = r.scalar(where(eq(max, -Infinity), 0, max)); // keeps -inf - -inf out of exp
  const sum = r.reduce('sum', exp(sub(v, shift)));
  if (!log_) return r.finish(where(eq(sum, 0), NaN, div(exp(sub(v, shift)), sum)));
  const logSum = r.scalar(log(sum));
  return r.finish(where(eq(sum, 0), NaN, sub(sub(v, shift), logSum)));
}

/** (v - mean) / sqrt(var + eps) · w (+ b), biased variance; operands from `at`: weight, then bias when present. */
function layerNormOf(r: RowBuilder, v: Expr, eps: number, at: number): RowProgram {
  const mean = r.reduce('mean', v);
  const centered = sub(v, mean);
  const inv = r.scalar(rsqrt(add(r.reduce('mean', mul(centered, centered)), eps)));
  const scaled = mul(mul(centered, inv), r.input(at));
  return r.finish(r.inputs > at + 1 ? add(scaled, r.input(at + 1)) : scaled, at > 1);
}

/** v · rsqrt(mean(v²) + eps) · w (PyTorch's RMSNorm). */
function rmsNormOf(r: RowBuilder, v: Expr, eps: number, at: number): RowProgram {
  const inv = r.scalar(rsqrt(add(r.reduce('mean', mul(v, v)), eps)));
  return r.finish(mul(mul(v, inv), r.input(at)), at > 1);
}

const EPS = { eps: { kind: 'float' } } as const;

export const ROW_OP_RECORDS = {
  softmax: rowOp({
    summary: 'exp(x - max) / sum(exp(x - max)) along an axis; a row of all -inf gives NaN',
    example: '%1 = softmax(%0) {axis = -1} : f32[batch, 4, seq, seq]',
    operands: [rows], attrs: { axis: { kind: 'int' } }, axis: (a) => a.axis,
    row: (_a, r) => softmaxOf(r, r.value(r.input(0)), false),
  }),
  log_softmax: rowOp({
    summary: 'x - max - log(sum(exp(x - max))) along an axis; a row of all -inf gives NaN',
    example: '%1 = log_softmax(%0) {axis = -1} : f32[batch, seq, 32000]',
    operands: [rows], attrs: { axis: { kind: 'int' } }, axis: (a) => a.axis,
    row: (_a, r) => softmaxOf(r, r.value(r.input(0)), true),
  }),
  layer_norm: rowOp({
    summary: 'normalize the last axis to zero mean and unit variance (biased), then scale and, with a bias, shift',
    example: '%3 = layer_norm(%0, %1, %2) {eps = 0.00001} : f32[batch, seq, 256]',
    operands: [rows, perElement('weight'), perElement('bias', true)], attrs: EPS,
    row: (a, r) => layerNormOf(r, r.value(r.input(0)), a.eps, 1),
  }),
  rms_norm: rowOp({
    summary: 'x · rsqrt(mean(x²) over the last axis + eps) · weight',
    example: '%2 = rms_norm(%0, %1) {eps = 0.00001} : f32[batch, seq, 256]',
    operands: [rows, perElement('weight')], attrs: EPS,
    row: (a, r) => rmsNormOf(r, r.value(r.input(0)), a.eps, 1),
  }),
  scaled_masked_softmax: rowOp({
    summary: 'softmax(x * scale + mask) over the last axis; the mask operand is optional',
    example: '%2 = scaled_masked_softmax(%0, %1) {scale = 0.125} : f32[batch, 4, seq, seq]',
    fused: true, operands: [rows, broadcast('mask', true)], attrs: { scale: { kind: 'float' } },
    row: (a, r) => {
      const scaled = a.scale === 1 ? r.input(0) : mul(r.input(0), a.scale);
      return softmaxOf(r, r.value(r.inputs > 1 ? add(scaled, r.input(1)) : scaled), false);
    },
  }),
  add_layer_norm: rowOp({
    summary: 'LayerNorm of x + r (bias optional); results: the normalized value and the sum (the residual stream)',
    example: '%4, %5 = add_layer_norm(%0, %1, %2, %3) {eps = 0.00001} : f32[batch, seq, 256], f32[batch, seq, 256]',
    fused: true, operands: [rows, broadcast('residual'), perElement('weight'), perElement('bias', true)], attrs: EPS,
    row: (a, r) => layerNormOf(r, r.value(add(r.input(0), r.input(1))), a.eps, 2),
  }),
  add_rms_norm: rowOp({
    summary: 'RMSNorm of x + r; results: the normalized value and the sum (the residual stream)',
    example: '%3, %4 = add_rms_norm(%0, %1, %2) {eps = 0.00001} : f32[batch, seq, 256], f32[batch, seq, 256]',
    fused: true, operands: [rows, broadcast('residual'), perElement('weight')], attrs: EPS,
    row: (a, r) => rmsNormOf(r, r.value(add(r.input(0), r.input(1))), a.eps, 2),
  }),
};

type Records = typeof ROW_OP_RECORDS;
export type RowOpKind = keyof Records;
/** The attributes of every row op, typed from its record's specs (ops/types.ts extends OpAttrs with them). */
export type RowOpAttrs = { [K in RowOpKind]: AttrsOf<Records[K]['attrs']> };

/** Operand types against the roles; throws a message naming the operand. */
function checkOperands(kind: string, specs: readonly OperandSpec[], inputs: readonly TensorType[], axis: number): void {
  requireDTypes(inputs, ['f32'], kind);
  const x = inputs[0];
  if (x.shape.length < 1) throw new Error(`needs rank >= 1, got ${formatType(x)}`);
  const width = x.shape[axis];
  inputs.forEach((t, i) => {
    const spec = specs[i];
    if (spec.role === 'per-element' && (t.shape.length !== 1 || t.shape[0] !== width)) {
      throw new Error(`${spec.name} must be [${width}] (the row length of x), got ${describe(inputs)}`);
    }
    if (spec.role === 'broadcast' && !broadcastsTo(t, x)) throw new Error(`${spec.name} ${formatType(t)} does not broadcast to ${formatType(x)}`);
  });
}

/** The row program of a node; `operands` optional ones included. */
function program<S extends Readonly<Record<string, AttrSpec>>>(rec: RowOpRecord<S>, attrs: AttrsOf<S>, operands: number): RowProgram {
  return rec.row(attrs, new RowBuilder(operands));
}

/** The reference evaluation: the row program over rows along the axis, operands broadcast to x. */
function evaluateRowOp(p: RowProgram, inputs: readonly Tensor[], specs: readonly OperandSpec[], axis: number): Tensor[] {
  const x = inputs[0];
  const len = x.shape[axis];
  const inner = numel(x.shape.slice(axis + 1));
  const count = len === 0 ? 0 : numel(x.shape) / len;
  const data = inputs.map((t) => t.data as Float32Array);
  const index = inputs.map((t, i) => (specs[i].role === 'broadcast' ? broadcastIndex(t.shape, x.shape) : null));
  const flat = (r: number, j: number) => (Math.floor(r / inner) * len + j) * inner + (r % inner);
  const out = new Float32Array(numel(x.shape));
  const value = p.writesValue ? new Float32Array(out.length) : undefined;
  evaluateRows(p, count, len, (r, i, j) => {
    if (specs[i].role === 'per-element') return data[i][j];
    const k = flat(r, j);
    const ix = index[i];
    return data[i][ix ? ix[k] : k];
  }, (r, j, y, v) => {
    const k = flat(r, j);
    out[k] = y;
    if (value) value[k] = v;
  });
  const result = (d: Float32Array): Tensor => ({ dtype: 'f32', shape: x.shape, data: d });
  return value ? [result(out), result(value)] : [result(out)];
}

function rowOpDef(kind: string, rec: RowOpRecord<Readonly<Record<string, AttrSpec>>>): OpDef<RowOpKind> {
  const required = rec.operands.filter((o) => !o.optional).length;
  const axisOf = (attrs: object, rank: number) => normAxis(rec.axis ? rec.axis(attrs as never) : -1, rank);
  const traits: Trait[] = rec.fused ? ['fused'] : [];
  return {
    summary: rec.summary,
    example: rec.example,
    traits,
    operands: required === rec.operands.length ? required : [required, rec.operands.length],
    attrs: rec.attrs as OpDef<RowOpKind>['attrs'],
    infer(inputs, attrs) {
      const x = inputs[0];
      checkOperands(kind, rec.operands, inputs, axisOf(attrs, x.shape.length));
      return program(rec, attrs as never, inputs.length).writesValue ? [x, x] : [x];
    },
    evaluate(inputs, attrs) {
      return evaluateRowOp(program(rec, attrs as never, inputs.length), inputs, rec.operands, axisOf(attrs, inputs[0].shape.length));
    },
    row: (attrs, operands) => program(rec, attrs as never, operands),
    rowAxis: (attrs, rank) => axisOf(attrs, rank),
  };
}

/** The graph ops of the row records. */
export const ROW_OPS = Object.fromEntries(Object.entries(ROW_OP_RECORDS).map(([k, rec]) => [k, rowOpDef(k, rec)])) as { readonly [K in RowOpKind]: OpDef<K> };
