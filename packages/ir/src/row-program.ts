// Row programs: what a row op (softmax, log_softmax, layer_norm, rms_norm and their fused forms)
// computes over each row of its first operand, as data. One row is: the row value v_j from the
// operands at element j, then row scalars in order (a reduction over the row of a term, or a
// scalar of earlier ones), then out_j. Every expression reads one operand space: $0…$(n-1) the
// operands at element j (broadcast to the row), $n the row value, $(n+1+k) row scalar k. The
// interpreter evaluates it here (`evaluateRows`); lowering copies it into the plan's one `row`
// kernel, which every backend renders once.

import type { DType } from './dtype.ts';
import { type Expr, compileExpr, printExpr } from './expr.ts';
import type { ExprOp } from './ops/expr/table.ts';

export type RowReduceOp = 'sum' | 'mean' | 'max';

export type RowStep =
  | { readonly kind: 'reduce'; readonly op: RowReduceOp; readonly term: Expr }
  | { readonly kind: 'scalar'; readonly expr: Expr };

export interface RowProgram {
  /** Operands read at element j ($0…$(inputs-1)). */
  readonly inputs: number;
  /** The row value v_j ($inputs), over the operands. */
  readonly value: Expr;
  /** Row scalars ($(inputs+1+k)), each over the operands, the value and earlier scalars; a scalar step over earlier scalars only. */
  readonly steps: readonly RowStep[];
  /** out_j over everything. */
  readonly output: Expr;
  /** Whether v_j is a second result (the residual sum of add-and-norm). */
  readonly writesValue: boolean;
}

/** Expression builders for writing row programs: `add(a, 1)` instead of `{ k: 'op', … }`. */
export type ExprArg = Expr | number;
const lift = (a: ExprArg): Expr => (typeof a === 'number' ? { k: 'const', v: a } : a);
const call = (op: ExprOp) => (...args: ExprArg[]): Expr => ({ k: 'op', op, args: args.map(lift) });
export const rx = {
  add: call('add'), sub: call('sub'), mul: call('mul'), div: call('div'), exp: call('exp'), log: call('log'),
  rsqrt: call('rsqrt'), eq: call('eq'), where: call('where'),
};

/** Collects a row program: operands, then the value, scalars in order, and the output last. */
export class RowBuilder {
  private valueExpr: Expr | undefined;
  private readonly steps: RowStep[] = [];

  constructor(readonly inputs: number) {}

  input(i: number): Expr {
    if (i >= this.inputs) throw new Error(`internal: row operand ${i} of ${this.inputs}`);
    return { k: 'in', i };
  }

  /** Set the row value; returns the expression reading it. */
  value(e: Expr): Expr {
    this.valueExpr = e;
    return { k: 'in', i: this.inputs };
  }

  reduce(op: RowReduceOp, term: Expr): Expr {
    this.steps.push({ kind: 'reduce', op, term });
    return { k: 'in', i: this.inputs + this.steps.length };
  }

  scalar(expr: Expr): Expr {
    this.steps.push({ kind: 'scalar', expr });
    return { k: 'in', i: this.inputs + this.steps.length };
  }

  finish(output: Expr, writesValue = false): RowProgram {
    if (!this.valueExpr) throw new Error('internal: a row program needs a value');
    return { inputs: this.inputs, value: this.valueExpr, steps: this.steps, output, writesValue };
  }
}

/** Operand indices an expression reads. */
export function exprOperands(e: Expr, into = new Set<number>()): Set<number> {
  if (e.k === 'in') into.add(e.i);
  if (e.k === 'op') for (const a of e.args) exprOperands(a, into);
  return into;
}

/** The operand index of the row value. */
export const rowValueIndex = (p: RowProgram) => p.inputs;
/** The operand index of row scalar k. */
export const rowScalarIndex = (p: RowProgram, k: number) => p.inputs + 1 + k;

/** The dtypes of a row program's operand space (all f32: row ops compute in f32). */
export function rowDTypes(p: RowProgram): DType[] {
  return Array(p.inputs + 1 + p.steps.length).fill('f32');
}

/** One line per part, for labels, comments and tests: `v = $0; s0 = max($1); …; out = …`. */
export function printRowProgram(p: RowProgram): string {
  const steps = p.steps.map((s, k) => `$${rowScalarIndex(p, k)} = ${s.kind === 'reduce' ? `${s.op}_row(${printExpr(s.term)})` : printExpr(s.expr)}`);
  return [`$${p.inputs} = ${printExpr(p.value)}`, ...steps, `out = ${printExpr(p.output)}`].join('; ');
}

/**
 * Reference evaluation over rows: `operands[i](j)` reads operand i at element j of the current
 * row (set by `row(r)`). Every expression op rounds to f32 as the unfused graph would store it;
 * reductions add in double precision and round once; max propagates NaN.
 */
export function evaluateRows(
  p: RowProgram, rows: number, len: number, read: (r: number, i: number, j: number) => number,
  write: (r: number, j: number, out: number, value: number) => void,
): void {
  const dtypes = rowDTypes(p);
  const value = compileExpr(p.value, dtypes);
  const steps = p.steps.map((s) => compileExpr(s.kind === 'reduce' ? s.term : s.expr, dtypes));
  const output = compileExpr(p.output, dtypes);
  const env = new Array<number>(dtypes.length).fill(0);
  const vals = new Float64Array(len);
  for (let r = 0; r < rows; r++) {
    const at = (j: number) => {
      for (let i = 0; i < p.inputs; i++) env[i] = read(r, i, j);
      env[p.inputs] = vals[j];
    };
    for (let j = 0; j < len; j++) {
      at(j);
      vals[j] = Math.fround(value(env));
    }
    p.steps.forEach((s, k) => {
      let acc = s.kind === 'reduce' && s.op === 'max' ? -Infinity : 0;
      if (s.kind === 'scalar') acc = steps[k](env);
      else {
        for (let j = 0; j < len; j++) {
          at(j);
          const t = steps[k](env);
          acc = s.op === 'max' ? Math.max(acc, t) : acc + t;
        }
        if (s.op === 'mean') acc /= len;
      }
      env[rowScalarIndex(p, k)] = Math.fround(acc);
    });
    for (let j = 0; j < len; j++) {
      at(j);
      write(r, j, Math.fround(output(env)), vals[j]);
    }
  }
}
