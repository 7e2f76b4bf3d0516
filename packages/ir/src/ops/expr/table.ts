// The expression ops: every family's records joined into one table. Its keys are the op names of
// the expression IR (ir/expr.ts) and of the elementwise graph ops built from the records
// (ops/elementwise.ts), so a new record is a new op everywhere. `exprOpDType` is the one dtype rule
// of expressions: the graph ops, fused kernels and every renderer use it.

import type { DType } from '../../dtype.ts';
import { ACTIVATIONS, GELU_FORMS } from './activations.ts';
import { ARITH } from './arith.ts';
import { CASTS, type CastOp } from './cast.ts';
import { LOGIC } from './logic.ts';
import type { ExprOpRecord, Helper } from './record.ts';
import { TRANSCENDENTAL } from './transcendental.ts';

/** Expression ops that are also graph ops of the same name (they have no attributes). */
export const NODE_EXPR_OPS = { ...ARITH, ...TRANSCENDENTAL, ...ACTIVATIONS, ...LOGIC };
export type NodeExprKind = keyof typeof NODE_EXPR_OPS;
export const NODE_EXPR_KINDS = Object.keys(NODE_EXPR_OPS) as NodeExprKind[];

export type ExprOp = NodeExprKind | keyof typeof GELU_FORMS | CastOp;

export const EXPR_OPS: { readonly [K in ExprOp]: ExprOpRecord } = { ...NODE_EXPR_OPS, ...GELU_FORMS, ...CASTS };

type OfArity<N> = { [K in NodeExprKind]: (typeof NODE_EXPR_OPS)[K]['arity'] extends N ? K : never }[NodeExprKind];
export type UnaryKind = OfArity<1>;
export type BinaryKind = OfArity<2>;

export function isExprOp(s: string): s is ExprOp {
  return Object.prototype.hasOwnProperty.call(EXPR_OPS, s);
}

/** The result dtype of `op` on operands of these dtypes, or an error naming the op and `got` (the operands). */
export function exprOpDType(op: ExprOp, args: readonly DType[], got: string = args.join(', ')): DType {
  const verdict = EXPR_OPS[op].dtype(args);
  if (typeof verdict === 'string') return verdict;
  throw new Error(`${op} needs ${verdict.needs}, got ${got}`);
}

/** Every helper the records' renderings for a target call, each once, a helper after those it uses. */
export function targetHelpers(target: 'js' | 'wgsl'): Helper[] {
  const out: Helper[] = [];
  const add = (h: Helper) => {
    if (out.includes(h)) return;
    h.uses?.forEach(add);
    if (out.some((o) => o.name === h.name)) throw new Error(`two ${target} helpers are named ${h.name}`);
    out.push(h);
  };
  for (const rec of Object.values(EXPR_OPS)) rec[target].helpers?.forEach(add);
  return out;
}
