// How a row kernel runs, shared by every backend that renders one: which reductions share a pass
// over the row (those that read nothing another reduction of the same pass produces), which row
// scalars follow each pass, and the subexpressions worth computing once per element. Backends
// decide only where the row value lives between passes (recomputed, or stored and reloaded).

import { type DType, type Expr, type RowProgram, exprOperands, foldExpr, printExpr, rowScalarIndex } from '@smelt/ir';

export interface RowPass {
  /** Reduction steps (indices into program.steps) accumulated in this pass. */
  readonly reduces: readonly number[];
  /** Scalar steps computed once the pass is done, in order. */
  readonly scalars: readonly number[];
}

export interface RowSchedule {
  /** Scalar steps before any pass (over constants only). */
  readonly leading: readonly number[];
  readonly passes: readonly RowPass[];
}

export function rowSchedule(p: RowProgram): RowSchedule {
  const leading: number[] = [];
  const passes: { reduces: number[]; scalars: number[] }[] = [];
  p.steps.forEach((s, k) => {
    const open = passes.at(-1);
    if (s.kind === 'scalar') {
      (open ? open.scalars : leading).push(k);
      return;
    }
    const reads = exprOperands(s.term);
    const joins = open && open.scalars.length === 0 && !open.reduces.some((r) => reads.has(rowScalarIndex(p, r)));
    if (joins) open.reduces.push(k);
    else passes.push({ reduces: [k], scalars: [] });
  });
  return { leading, passes };
}

/** Expressions rewritten to read each repeated subexpression once: `lets[i]` is operand `first + i` (it may read earlier lets). */
export interface Shared {
  readonly lets: readonly Expr[];
  readonly letTypes: readonly DType[];
  readonly exprs: readonly Expr[];
}

/** Hoist every op subexpression that occurs more than once in `exprs` into a let (operands from `first` on). */
export function shareSubexpressions(exprs: readonly Expr[], types: readonly DType[], first: number): Shared {
  const counts = new Map<string, number>();
  const count = (e: Expr) => {
    if (e.k !== 'op') return;
    const key = printExpr(e);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n === 1) e.args.forEach(count);
  };
  exprs.forEach(count);
  const lets: Expr[] = [];
  const letTypes: DType[] = [];
  const index = new Map<string, number>();
  const rewrite = (e: Expr): Expr => {
    if (e.k !== 'op') return e;
    const key = printExpr(e);
    const known = index.get(key);
    if (known !== undefined) return { k: 'in', i: known };
    const r: Expr = { k: 'op', op: e.op, args: e.args.map(rewrite) };
    if ((counts.get(key) ?? 0) < 2) return r;
    const i = first + lets.length;
    letTypes.push(exprResultType(r, [...types, ...letTypes]));
    lets.push(r);
    index.set(key, i);
    return { k: 'in', i };
  };
  const out = exprs.map(rewrite);
  return { lets, letTypes, exprs: out };
}

function exprResultType(e: Expr, types: readonly DType[]): DType {
  return foldExpr<DType>(e, types, { input: (_i, d) => d, constant: () => 'f32', op: (_o, _a, _t, result) => result });
}

/**
 * Hoist the largest op subexpressions of `exprs` that read only operands `invariant` accepts (row
 * scalars: the same at every element of a row) into lets (operands from `first` on), so a
 * renderer computes them once per row instead of once per element.
 */
export function hoistInvariants(exprs: readonly Expr[], types: readonly DType[], invariant: (i: number) => boolean, first: number): Shared {
  const lets: Expr[] = [];
  const letTypes: DType[] = [];
  const index = new Map<string, number>();
  const fixed = (e: Expr): boolean => (e.k === 'in' ? invariant(e.i) : e.k === 'const' ? true : e.args.every(fixed));
  const rewrite = (e: Expr): Expr => {
    if (e.k !== 'op') return e;
    if (!fixed(e) || exprOperands(e).size === 0) return { k: 'op', op: e.op, args: e.args.map(rewrite) };
    const key = printExpr(e);
    let i = index.get(key);
    if (i === undefined) {
      i = first + lets.length;
      letTypes.push(exprResultType(e, types));
      lets.push(e);
      index.set(key, i);
    }
    return { k: 'in', i };
  };
  return { lets, letTypes, exprs: exprs.map(rewrite) };
}
