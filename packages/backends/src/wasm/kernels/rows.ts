// The row kernel (softmax, log_softmax, the norms and their add-and-norm forms), rendered from the
// plan's row program on f32x4 lanes. Threads split the rows; each row runs the schedule's passes
// (compiler/plan/row-schedule.ts), each one rowPass: f32x4 steps, then a one-element tail. The
// first pass computes the row value and stores it where the program writes it (else into `out`)
// unless it is an operand read in place; later passes reload it. Row scalars are f32x4 splats;
// what depends only on them is computed once per row, repeated subexpressions once per element.
// When the last reduction's term reappears in the output (softmax's exp), that pass stores it into
// `out` and the output pass reads it back instead of computing it again.

import { type Kernel, type RowPass, hoistInvariants, rowSchedule, shareSubexpressions } from '@smelt/compiler';
import { type DType, type Dim, type Expr, type RowProgram, exprOperands, printExpr, rowDTypes } from '@smelt/ir';
import type { Local } from '../encoder/code.ts';
import { mergeView, presence } from '../codegen/broadcast.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { canVectorize, renderExpr } from '../codegen/expr.ts';
import { type Val, bind, fadd, fdiv, fmax, get, horizontal, i32, iadd, imul, op, splat } from '../codegen/ops.ts';
import { type Step, rowPass, sumLanes } from '../codegen/row-pass.ts';
import { rowOffsets } from '../codegen/rows.ts';

type RowKernel = Extract<Kernel, { kind: 'row' }>;

/** An operand broadcast to rows of `shape`: where its row starts, and whether it varies along the row. */
interface RowOperand {
  readonly ptr: Local;
  readonly alongRow: boolean;
}

/**
 * Iterate this thread's rows of `shape` (last axis = row); `operands` broadcast to `shape`.
 * `body` gets the byte offset of a full-shape row and each operand's row.
 */
function forEachRow(ctx: KernelCtx, shape: readonly Dim[], operands: readonly number[], body: (rowByte: Local, ops: RowOperand[]) => void): void {
  const { prog } = ctx;
  const outer = shape.slice(0, -1);
  const shapes = operands.map((o) => prog.shape(o));
  const view = mergeView(outer, shapes.map((s) => s.slice(0, Math.max(0, s.length - 1))));
  const along = shapes.map((s) => presence(s, shape)[shape.length - 1]);
  const space = rowOffsets(ctx, view, along.map((a) => (a ? [shape[shape.length - 1]] : [])));
  const bases = operands.map((o) => ctx.let(ctx.addr(o)));
  const len = ctx.let(ctx.dim(shape[shape.length - 1]));
  ctx.forEachItem(get(space.rows), (r) => {
    const offs = space.at(r);
    const ops = operands.map((_, o) => ({ ptr: ctx.let(iadd(get(bases[o]), op('i32.shl', get(offs[o]), i32(2)))), alongRow: along[o] }));
    body(ctx.let(op('i32.shl', imul(get(r), get(len)), i32(2))), ops);
  });
}

/** An operand's value at a step: a lane load, or its one value splatted. */
const operandAt = (s: Step, o: RowOperand): Val => (o.alongRow ? s.load(o.ptr) : (c) => c.get(o.ptr).mem('v128.load32_splat'));

/** Where the row value comes from after the first pass. */
type ValueHome = { readonly operand: number } | { readonly stash: 'value' | 'out' };

/** The output pass may read the last pass's term from `out`: the term, or undefined. */
function storedTerm(p: RowProgram, passes: readonly RowPass[], home: ValueHome): Expr | undefined {
  const last = passes.at(-1);
  if (!last || last.reduces.length !== 1) return undefined;
  const s = p.steps[last.reduces[0]];
  if (s.kind !== 'reduce' || s.term.k !== 'op') return undefined;
  const key = printExpr(s.term);
  const mark: Expr = { k: 'in', i: -1 };
  const replace = (e: Expr): Expr => (e.k === 'op' ? (printExpr(e) === key ? mark : { k: 'op', op: e.op, args: e.args.map(replace) }) : e);
  const output = replace(p.output);
  if (printExpr(output) === printExpr(p.output)) return undefined;
  const readsValue = exprOperands(output).has(p.inputs);
  return readsValue && 'stash' in home && home.stash === 'out' ? undefined : s.term;
}

export function emitRow(k: RowKernel, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const p = k.program;
  const types = rowDTypes(p);
  const parts = [p.value, p.output, ...p.steps.map((s) => (s.kind === 'reduce' ? s.term : s.expr))];
  const bad = parts.find((e) => !canVectorize(e, types));
  if (bad) throw new Error(`wasm: row kernel ${k.label}: ${printExpr(bad)} has no vector form`);
  const schedule = rowSchedule(p);
  const shape = prog.shape(k.out);
  const len = ctx.let(ctx.dim(shape[shape.length - 1]));
  const lenF = bind(c, 'v128', op('f32x4.splat', op('f32.convert_i32_s', get(len))));
  const outBase = ctx.let(ctx.addr(k.out));
  const valueBase = k.value === undefined ? undefined : ctx.let(ctx.addr(k.value));
  forEachRow(ctx, shape, k.inputs, (rowByte, ops) => {
    const direct = p.value.k === 'in' && !p.writesValue && ops[p.value.i].alongRow ? p.value.i : undefined;
    const home: ValueHome = direct !== undefined ? { operand: direct } : { stash: valueBase ? 'value' : 'out' };
    const yp = ctx.let(iadd(get(outBase), get(rowByte)));
    const vp = valueBase ? ctx.let(iadd(get(valueBase), get(rowByte))) : yp;
    const scalars: Local[] = [];
    const render = (e: Expr, ts: readonly DType[], operand: (i: number) => Val) => renderExpr(e, ts, operand, 'vector', prog.exprs);
    /** Operands $0… at a step: the inputs, the value, the row scalars, then `more` in order. */
    const operands = (s: Step | undefined, value: Val, more: readonly (() => Val)[]) => (i: number): Val => {
      if (i < p.inputs) {
        if (!s) throw new Error('internal: an element operand in a row scalar');
        return operandAt(s, ops[i]);
      }
      if (i === p.inputs) return value;
      if (i < types.length) return get(scalars[i - p.inputs - 1]);
      return more[i - types.length]();
    };
    const runScalars = (ks: readonly number[]) => ks.forEach((kk) => {
      const st = p.steps[kk];
      if (st.kind === 'scalar') scalars[kk] = bind(c, 'v128', render(st.expr, types, operands(undefined, splat(0), [])));
    });
    /**
     * One pass over the row computing `exprs`, whose operands after the row scalars are `extras`
     * (per element); `sink` gets the step and their values.
     */
    const pass = (exprs: readonly Expr[], first: boolean, extras: readonly ((s: Step) => Val)[], sink: (s: Step, vals: readonly Val[]) => void) => {
      const base: DType[] = [...types, ...extras.map((): DType => 'f32')];
      const hoisted = hoistInvariants(exprs, base, (i) => i > p.inputs && i < types.length, base.length);
      const rowLets = hoisted.lets.map((e) => bind(c, 'v128', render(e, base, operands(undefined, splat(0), []))));
      const withRow: DType[] = [...base, ...hoisted.letTypes];
      const shared = shareSubexpressions(hoisted.exprs, withRow, withRow.length);
      const all: DType[] = [...withRow, ...shared.letTypes];
      rowPass(c, len, (s) => {
        let value: Val;
        if ('operand' in home) value = get(bind(c, 'v128', operandAt(s, ops[home.operand])));
        else if (first) {
          const v = bind(c, 'v128', render(p.value, types, operands(s, splat(0), [])));
          s.store(vp, get(v))(c);
          value = get(v);
        } else value = get(bind(c, 'v128', s.load(vp)));
        const elementLets: Local[] = [];
        const more = [...extras.map((x) => () => x(s)), ...rowLets.map((l) => () => get(l)), ...shared.lets.map((_, i) => () => get(elementLets[i]))];
        const operand = operands(s, value, more);
        for (const e of shared.lets) elementLets.push(bind(c, 'v128', render(e, all, operand)));
        sink(s, shared.exprs.map((e) => render(e, all, operand)));
      });
    };
    runScalars(schedule.leading);
    const term = storedTerm(p, schedule.passes, home);
    schedule.passes.forEach((ps, i) => {
      const reduces = ps.reduces.map((kk) => {
        const st = p.steps[kk];
        if (st.kind !== 'reduce') throw new Error('internal: not a reduce step');
        return { kk, op: st.op, term: st.term, acc: bind(c, 'v128', splat(st.op === 'max' ? -Infinity : 0)) };
      });
      const storesTerm = term !== undefined && i === schedule.passes.length - 1;
      pass(reduces.map((r) => r.term), i === 0, [], (s, vals) => reduces.forEach((r, j) => {
        let t = vals[j];
        if (storesTerm) {
          const kept = bind(c, 'v128', t);
          s.store(yp, get(kept))(c);
          t = get(kept);
        }
        (r.op === 'max' ? fmax(get(r.acc), t) : fadd(get(r.acc), sumLanes(s, t)))(c);
        c.set(r.acc);
      }));
      for (const r of reduces) {
        const total = horizontal(get(r.acc), r.op === 'max' ? 'f32x4.max' : 'f32x4.add');
        scalars[r.kk] = bind(c, 'v128', r.op === 'mean' ? fdiv(total, get(lenF)) : total);
      }
      runScalars(ps.scalars);
    });
    const output = term ? replaceTerm(p.output, term, types.length) : p.output;
    pass([output], schedule.passes.length === 0, term ? [(s) => s.load(yp)] : [], (s, [y]) => s.store(yp, y)(c));
  });
}

/** `e` with every occurrence of `term` read from operand `index` instead. */
function replaceTerm(e: Expr, term: Expr, index: number): Expr {
  const key = printExpr(term);
  const walk = (x: Expr): Expr => (x.k !== 'op' ? x : printExpr(x) === key ? { k: 'in', i: index } : { k: 'op', op: x.op, args: x.args.map(walk) });
  return walk(e);
}
