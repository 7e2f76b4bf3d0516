// Expressions (ir/expr.ts) as ONNX nodes: one rule per expression op, so every elementwise graph
// op (through its record's expression), every fused_elementwise and every linear epilogue is
// written the same way. The mapped type makes an expression op without a rule a compile error.
// Where ONNX leaves a case undefined or differs from smelt's meaning, the rule spells smelt's out:
// i32 division by 0 is 0 (and by -1 wraps), float to integer casts send NaN and ±inf to 0 and wrap
// like the interpreter (in f32, before an in-range Cast), comparisons of bool or u8 compare as i32,
// relu(NaN) is 0.

import { type DType, type Expr, type ExprOp, foldExpr } from '@smelt/ir';
import type { OnnxWriter } from './writer.ts';

interface ExprArgs {
  readonly w: OnnxWriter;
  readonly args: readonly string[];
  readonly types: readonly DType[];
  readonly result: DType;
  /** The name the result must have (the root of an expression), if any. */
  readonly out?: string;
}

type ExprRule = (a: ExprArgs) => string;

const direct = (op: string): ExprRule => ({ w, args, out }) => w.node(op, args, {}, out);

/** A comparison; bool and u8 operands compare as i32 (ONNX's Less and friends take neither). */
const compare = (op: string, negate = false): ExprRule => ({ w, args, types, out }) => {
  const ins = args.map((x, i) => (types[i] === 'bool' || types[i] === 'u8' ? w.cast(x, types[i], 'i32') : x));
  return negate ? w.node('Not', [w.node(op, ins)], {}, out) : w.node(op, ins, {}, out);
};

/** i32 a / b truncating, as smelt: b = 0 gives 0, b = -1 negates (wrapping) instead of trapping. */
const intDiv: ExprRule = ({ w, args: [a, b], out }) => {
  const zero = w.node('Equal', [b, w.scalar('i32', 0)]);
  const minusOne = w.node('Equal', [b, w.scalar('i32', -1)]);
  const safe = w.node('Where', [w.node('Or', [zero, minusOne]), w.scalar('i32', 1), b]);
  const q = w.node('Where', [minusOne, w.node('Neg', [a]), w.node('Div', [a, safe])]);
  return w.node('Where', [zero, w.scalar('i32', 0), q], {}, out);
};

/** 0.5·x·(1 + inner(x)), the shape of both GELU forms. */
function halfXTimesOnePlus(w: OnnxWriter, x: string, inner: string, out?: string): string {
  const f = (v: number) => w.scalar('f32', v);
  return w.node('Mul', [w.node('Mul', [x, f(0.5)]), w.node('Add', [f(1), inner])], {}, out);
}

/**
 * A cast to `to`. Floats going to integers truncate and wrap modulo the width (2³², 2⁶⁴ for i64)
 * with NaN and ±inf as 0, as the interpreter's typed-array store: the wrap is done in f32 (fmod by
 * the width, then into [-width/2, width/2), both exact), so the final Cast is always in range
 * (ONNX leaves out-of-range float-to-int casts undefined, and ORT saturates some).
 */
const castTo = (to: DType): ExprRule => ({ w, args: [x], types: [from], out }) => {
  if (to === 'f32' || to === 'f16' || to === 'bool' || (from !== 'f32' && from !== 'f16')) return w.cast(x, from, to, out);
  const f = w.cast(x, from, 'f32');
  const bad = w.node('Or', [w.node('IsNaN', [f]), w.node('IsInf', [f])]);
  const width = to === 'i64' ? 2 ** 64 : 2 ** 32;
  const r = w.node('Mod', [w.node('Where', [bad, w.scalar('f32', 0), f]), w.scalar('f32', width)], { fmod: 1 });
  const high = w.node('GreaterOrEqual', [r, w.scalar('f32', width / 2)]);
  const low = w.node('Less', [r, w.scalar('f32', -width / 2)]);
  const wrapped = w.node('Where', [high, w.node('Sub', [r, w.scalar('f32', width)]), w.node('Where', [low, w.node('Add', [r, w.scalar('f32', width)]), r])]);
  if (to === 'u8') return w.cast(w.cast(wrapped, 'f32', 'i32'), 'i32', 'u8', out);
  return w.cast(wrapped, 'f32', to, out);
};

export const EXPR_RULES: { readonly [K in ExprOp]: ExprRule } = {
  neg: direct('Neg'),
  abs: direct('Abs'),
  // x > 0 ? x : 0, so relu(NaN) = 0 as in smelt (ONNX's Relu passes NaN through).
  relu: ({ w, args: [x], types: [t], out }) => {
    const zero = w.scalar(t, 0);
    return w.node('Where', [w.node('Greater', [x, zero]), x, zero], {}, out);
  },
  add: direct('Add'),
  sub: direct('Sub'),
  mul: direct('Mul'),
  div: (a) => (a.result === 'i32' ? intDiv(a) : direct('Div')(a)),
  max: direct('Max'),
  min: direct('Min'),
  exp: direct('Exp'),
  log: direct('Log'),
  sqrt: direct('Sqrt'),
  rsqrt: ({ w, args, out }) => w.node('Reciprocal', [w.node('Sqrt', args)], {}, out),
  tanh: direct('Tanh'),
  erf: direct('Erf'),
  sin: direct('Sin'),
  cos: direct('Cos'),
  pow: direct('Pow'),
  sigmoid: direct('Sigmoid'),
  silu: ({ w, args: [x], out }) => w.node('Mul', [x, w.node('Sigmoid', [x])], {}, out),
  eq: compare('Equal'),
  ne: compare('Equal', true),
  lt: compare('Less'),
  le: compare('LessOrEqual'),
  gt: compare('Greater'),
  ge: compare('GreaterOrEqual'),
  and: direct('And'),
  or: direct('Or'),
  not: direct('Not'),
  where: direct('Where'),
  gelu: ({ w, args: [x], out }) => halfXTimesOnePlus(w, x, w.node('Erf', [w.node('Mul', [x, w.scalar('f32', Math.SQRT1_2)])]), out),
  gelu_tanh: ({ w, args: [x], out }) => {
    const cube = w.node('Mul', [w.node('Mul', [x, x]), x]);
    const inner = w.node('Mul', [w.scalar('f32', Math.sqrt(2 / Math.PI)), w.node('Add', [x, w.node('Mul', [w.scalar('f32', 0.044715), cube])])]);
    return halfXTimesOnePlus(w, x, w.node('Tanh', [inner]), out);
  },
  cast_f32: castTo('f32'),
  cast_f16: castTo('f16'),
  cast_i32: castTo('i32'),
  cast_i64: castTo('i64'),
  cast_u8: castTo('u8'),
  cast_bool: castTo('bool'),
};

/** Write `e` over the ONNX values `inputs` (of `dtypes`); its result is named `out`. */
export function lowerExpr(w: OnnxWriter, e: Expr, inputs: readonly string[], dtypes: readonly DType[], out: string): void {
  const result = foldExpr<string>(e, dtypes, {
    input: (i) => inputs[i],
    constant: (v) => w.scalar('f32', v),
    op: (op, args, types, dtype, root) => EXPR_RULES[op]({ w, args, types, result: dtype, ...(root ? { out } : {}) }),
  });
  if (result !== out) w.node('Identity', [result], {}, out);
}


