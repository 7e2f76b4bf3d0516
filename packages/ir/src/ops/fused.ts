// Fused ops the compiler produces (the fused row ops are records in rows.ts). Each has its own
// reference evaluation, written with the same row programs and matmul as the primitives, so a
// fused graph still runs on the interpreter and fused == unfused can be tested.

import { compileExpr, exprDType, parseExpr, substitute } from '../expr.ts';
import { type TensorType, broadcastShapes, formatDims, formatType, shapesEqual } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { matmulDims, matmulRef } from './matmul.ts';
import { broadcastIndex, broadcastsTo, describe, mapElements, requireDTypes } from './ref-util.ts';
import type { ExprOpDef, OpDef } from './types.ts';

/** scores * scale + mask (broadcast), -inf above the diagonal when causal: what attention's softmax reads. */
export function scaledScores(x: Tensor, scale: number, mask: Tensor | undefined, causal: boolean): Float64Array {
  const s = new Float64Array(x.data.length);
  const X = x.data as Float32Array;
  const mi = mask ? broadcastIndex(mask.shape, x.shape) : null;
  const M = mask?.data as Float32Array | undefined;
  const cols = x.shape[x.shape.length - 1];
  const rows = x.shape[x.shape.length - 2] ?? 1;
  for (let k = 0; k < s.length; k++) {
    let v = Math.fround(X[k] * scale);
    if (M) v = Math.fround(v + M[mi ? mi[k] : k]);
    if (causal && k % cols > Math.floor(k / cols) % rows) v = -Infinity;
    s[k] = v;
  }
  return s;
}

export function checkMask(x: TensorType, mask: TensorType | undefined): void {
  if (!mask) return;
  requireDTypes([mask], ['f32'], 'an additive mask');
  if (!broadcastsTo(mask, x)) throw new Error(`mask ${formatType(mask)} does not broadcast to ${formatType(x)}`);
}

const linear: OpDef<'linear'> = {
  summary: 'epilogue(x @ w(ᵀ), extras…): a matmul whose result goes through an elementwise expression over $0 = the product and $1… = the operands after w, each f32 and broadcast to the result',
  example: '%4 = linear(%0, %1, %2, %3) {transB = true, epilogue = "add(relu(add($0, $1)), $2)"} : f32[batch, seq, 1024]',
  traits: ['fused', 'contraction'],
  operands: [2, Infinity],
  attrs: { transB: { kind: 'bool' }, epilogue: { kind: 'expr' } },
  infer(inputs, attrs) {
    const [x, w, ...extras] = inputs;
    const { batch, m, n } = matmulDims(x, w, false, attrs.transB);
    const out: TensorType = { dtype: 'f32', shape: [...batch, m, n] };
    if (!extras.every((e) => e.dtype === 'f32' && broadcastsTo(e, out))) {
      throw new Error(`operands after w must be f32 and broadcast to ${formatDims(out.shape)}, got ${describe(inputs)}`);
    }
    const dtype = exprDType(parseExpr(attrs.epilogue), [out.dtype, ...extras.map((e) => e.dtype)]);
    if (dtype !== 'f32') throw new Error(`epilogue ${attrs.epilogue} computes ${dtype}, not f32`);
    return [out];
  },
  evaluate([x, w, ...extras], attrs) {
    const product = matmulRef(x, w, false, attrs.transB);
    const epilogue = compileExpr(parseExpr(attrs.epilogue), [product.dtype, ...extras.map((e) => e.dtype)]);
    return [mapElements([product, ...extras], 'f32', (...xs) => epilogue(xs))];
  },
};

const fusedElementwise: ExprOpDef<'fused_elementwise'> = {
  summary: 'one kernel for a chain of elementwise ops, written as an expression over the operands',
  example: '%3 = fused_elementwise(%0, %1, %2) {expr = "add(mul($0, $1), $2)"} : f32[batch, seq, 256]',
  traits: ['fused', 'elementwise', 'broadcast'],
  operands: [1, Infinity],
  attrs: { expr: { kind: 'expr' } },
  infer(inputs, attrs) {
    const dtype = exprDType(parseExpr(attrs.expr), inputs.map((t) => t.dtype));
    return [{ dtype, shape: broadcastShapes(inputs.map((t) => t.shape)) }];
  },
  evaluate(inputs, attrs) {
    const e = parseExpr(attrs.expr);
    const dtypes = inputs.map((t) => t.dtype);
    const program = compileExpr(e, dtypes);
    const dtype = exprDType(e, dtypes);
    return [mapElements(inputs, dtype, (...xs) => program(xs))];
  },
  expr: (attrs, args) => substitute(parseExpr(attrs.expr), args),
};

export const FUSED_OPS = {
  linear,
  fused_elementwise: fusedElementwise,
} as const;
