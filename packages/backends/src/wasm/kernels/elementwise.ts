// Elementwise kernels: an expression over broadcast operands. Output dims merge where the
// operands allow; threads split the rows; within a row, f32 expressions run on f32x4 lanes
// (operands that broadcast along the row are splatted) with a scalar tail, and anything else
// (integers, bools, f16, casts) runs the scalar rendering of the same expression.

import type { Kernel } from '@smelt/compiler';
import type { Local } from '../encoder/code.ts';
import { loadScalar, storeScalar } from '../codegen/access.ts';
import { mergeView } from '../codegen/broadcast.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { canVectorize, renderExpr } from '../codegen/expr.ts';
import { type Val, bind, forRange, get, i32, iadd, imul, op } from '../codegen/ops.ts';
import { rowOffsets } from '../codegen/rows.ts';

type Elementwise = Extract<Kernel, { kind: 'elementwise' }>;

export function emitElementwise(k: Elementwise, ctx: KernelCtx): void {
  const { prog, c } = ctx;
  const outShape = prog.shape(k.out);
  const view = mergeView(outShape, k.inputs.map((i) => prog.shape(i)));
  const last = view.extents.length - 1;
  const innerDims = last >= 0 ? view.extents[last] : [];
  const inner = ctx.let(ctx.numel(innerDims));
  const outerView = { extents: view.extents.slice(0, Math.max(last, 0)), present: view.present.map((p) => p.slice(0, Math.max(last, 0))) };
  const innerPresent = k.inputs.map((_, o) => last >= 0 && view.present[o][last]);
  const space = rowOffsets(ctx, outerView, innerPresent.map((p) => (p ? innerDims : [])));
  const types = k.inputs.map((i) => prog.dtype(i));
  const vector = prog.dtype(k.out) === 'f32' && types.every((t) => t === 'f32') && canVectorize(k.expr, types);
  const bases = k.inputs.map((i) => ctx.let(ctx.addr(i)));
  const outBase = ctx.let(ctx.addr(k.out));
  ctx.forEachItem(get(space.rows), (r) => {
    const offs = space.at(r);
    const ptrs = k.inputs.map((id, o) => ctx.let(iadd(get(bases[o]), imul(get(offs[o]), i32(prog.elemBytes(id))))));
    const outPtr = ctx.let(iadd(get(outBase), imul(imul(get(r), get(inner)), i32(prog.elemBytes(k.out)))));
    const row = { ptrs, outPtr, present: innerPresent };
    const done = c.local('i32');
    c.i32(0).set(done);
    if (vector) emitVectorRow(k, ctx, row, inner, done);
    emitScalarRow(k, ctx, row, inner, done);
  });
}

interface Row {
  readonly ptrs: readonly Local[];
  readonly outPtr: Local;
  readonly present: readonly boolean[];
}

/** Elements [done, done + 4·⌊(n - done)/4⌋) on f32x4 lanes; advances `done`. */
function emitVectorRow(k: Elementwise, ctx: KernelCtx, row: Row, n: Local, done: Local): void {
  const { c, prog } = ctx;
  const types = k.inputs.map((i) => prog.dtype(i));
  const j = c.local('i32');
  const at = (p: Local): Val => iadd(get(p), op('i32.shl', get(j), i32(2)));
  const operand = (o: number): Val => (cc) => {
    if (!row.present[o]) {
      cc.get(row.ptrs[o]).mem('v128.load32_splat');
      return;
    }
    at(row.ptrs[o])(cc);
    cc.mem('v128.load');
  };
  const value = renderExpr(k.expr, types, operand, 'vector', prog.exprs);
  const end = bind(c, 'i32', op('i32.and', get(n), i32(~3)));
  forRange(c, j, i32(0), get(end), () => {
    at(row.outPtr)(c);
    value(c);
    c.mem('v128.store');
  }, 4);
  c.get(end).set(done);
}

/** Elements [done, n) one at a time, any dtype. */
function emitScalarRow(k: Elementwise, ctx: KernelCtx, row: Row, n: Local, done: Local): void {
  const { c, prog } = ctx;
  const types = k.inputs.map((i) => prog.dtype(i));
  const j = c.local('i32');
  const at = (p: Local, bytes: number): Val => iadd(get(p), imul(get(j), i32(bytes)));
  const operand = (o: number): Val => {
    const bytes = prog.elemBytes(k.inputs[o]);
    return loadScalar(prog, types[o], row.present[o] ? at(row.ptrs[o], bytes) : get(row.ptrs[o]));
  };
  const value = renderExpr(k.expr, types, operand, 'scalar', prog.exprs);
  forRange(c, j, get(done), get(n), () => {
    storeScalar(prog, prog.dtype(k.out), at(row.outPtr, prog.elemBytes(k.out)), value)(c);
  });
}
