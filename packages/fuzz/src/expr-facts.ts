// Facts rules of the expression ops (the elementwise records of ops/expr/): what each needs of its
// operands and what it gives, when its operands are floats. Integer and bool arithmetic is exact
// on every backend, so only float operands consult this table. An op missing here (a record added
// since) gets the cautious default: exact operands only, an unbounded inexact result.

import type { NodeExprKind } from '@smelt/ir';
import { type Facts, carried, compatible, inexact, stable } from './facts.ts';

export interface ExprFactsRule {
  /** Whether operands with these facts give a result defined up to rounding. */
  readonly needs: (f: readonly Facts[]) => boolean;
  readonly gives: (f: readonly Facts[]) => Facts;
}

const allStable = (f: readonly Facts[]) => f.every(stable);
const bounded = (limit: number) => (f: readonly Facts[]) => f.every((x) => !x.special && x.mag <= limit);
const mags = (f: readonly Facts[]) => f.map((x) => x.mag);

/** A selection: the result is one of the operands (exact stays exact). */
const select: ExprFactsRule = { needs: () => true, gives: (f) => carried(f) };
/** A comparison: the answer flips on a rounding difference, so it takes exact operands only. */
const compare: ExprFactsRule = { needs: allStable, gives: (f) => ({ mag: 1, special: false, exact: f.every(stable) }) };
const arith = (mag: (m: number[]) => number): ExprFactsRule => ({ needs: compatible, gives: (f) => inexact(f, mag(mags(f))) });
const squash: ExprFactsRule = { needs: compatible, gives: (f) => inexact(f, 1) };

export const DEFAULT_EXPR_FACTS: ExprFactsRule = { needs: allStable, gives: (f) => inexact(f, Infinity) };

export const EXPR_FACTS: Partial<Record<NodeExprKind, ExprFactsRule>> = {
  neg: select, abs: select, relu: select, max: select, min: select, where: { needs: () => true, gives: (f) => carried(f.slice(1)) },
  eq: compare, ne: compare, lt: compare, le: compare, gt: compare, ge: compare,
  add: arith(([a, b]) => a + b), sub: arith(([a, b]) => a + b), mul: arith(([a, b]) => a * b),
  // Division near zero amplifies any difference of the numerator: the denominator must be exact.
  div: { needs: (f) => compatible(f) && stable(f[1]), gives: (f) => inexact(f, Infinity) },
  exp: arith(([a]) => (a <= 80 ? Math.exp(a) : Infinity)),
  log: { needs: allStable, gives: (f) => inexact(f, Infinity) },
  sqrt: { needs: allStable, gives: (f) => inexact(f, Math.sqrt(f[0].mag)) },
  rsqrt: { needs: allStable, gives: (f) => inexact(f, Infinity) },
  tanh: squash, sigmoid: squash, erf: squash,
  // WGSL promises sin/cos accuracy only near [-π, π]; smelt's wasm reduces the range in f32.
  sin: { needs: bounded(8), gives: (f) => inexact(f, 1) },
  cos: { needs: bounded(8), gives: (f) => inexact(f, 1) },
  pow: { needs: (f) => allStable(f) && bounded(4)(f), gives: (f) => inexact(f, 256) },
  silu: arith(([a]) => a),
};

export function exprFacts(kind: NodeExprKind): ExprFactsRule {
  return EXPR_FACTS[kind] ?? DEFAULT_EXPR_FACTS;
}
