// One-pass row kernels over the last axis. Softmax: x·scale + mask (broadcast) written once,
// then exp(v - max) and the sum, then the division — an all -inf row gives NaN like the
// reference. LayerNorm: x + residual (written to the `sum` output when there is one), mean,
// biased variance, then (s - mean)·rsqrt(var + eps)·w + b. Threads split the rows.

import type { Kernel } from '@smelt/compiler';
import type { Dim } from '@smelt/ir';
import type { Local } from '../encoder/code.ts';
import { mergeView, presence } from '../codegen/broadcast.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { type Val, bind, fadd, fdiv, fmax, fmul, forRange, fsub, get, horizontal, i32, iadd, imul, op, splat } from '../codegen/ops.ts';
import { type Step, rowPass, sumLanes } from '../codegen/row-pass.ts';
import { rowOffsets } from '../codegen/rows.ts';

type Of<K extends Kernel['kind']> = Extract<Kernel, { kind: K }>;

/** An operand broadcast to rows of `shape`: where its row starts, and whether it varies along the row. */
interface RowOperand {
  readonly ptr: Local;
  readonly alongRow: boolean;
}

/**
 * Iterate this thread's rows of `shape` (last axis = row); `operands` broadcast to `shape`.
 * `body` gets the row index, the byte offset of a full-shape row, and each operand's row.
 */
function forEachRow(ctx: KernelCtx, shape: readonly Dim[], operands: readonly number[], body: (r: Local, rowByte: Local, ops: RowOperand[]) => void): void {
  const { c, prog } = ctx;
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
    body(r, ctx.let(op('i32.shl', imul(get(r), get(len)), i32(2))), ops);
  });
}

/** An operand's value at a step: a lane load, or its one value splatted. */
const operandAt = (s: Step, o: RowOperand): Val => (o.alongRow ? s.load(o.ptr) : (c) => c.get(o.ptr).mem('v128.load32_splat'));

export function emitSoftmax(k: Of<'softmax'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const shape = prog.shape(k.x);
  const len = ctx.let(ctx.dim(shape[shape.length - 1]));
  const x = ctx.let(ctx.addr(k.x));
  const out = ctx.let(ctx.addr(k.out));
  forEachRow(ctx, shape, k.mask === undefined ? [] : [k.mask], (_r, rowByte, [mask]) => {
    const xp = ctx.let(iadd(get(x), get(rowByte)));
    const yp = ctx.let(iadd(get(out), get(rowByte)));
    const max = bind(c, 'v128', splat(-Infinity));
    rowPass(c, len, (s) => {
      let v: Val = k.scale === 1 ? s.load(xp) : fmul(s.load(xp), splat(k.scale));
      if (mask) v = fadd(v, operandAt(s, mask));
      const t = bind(c, 'v128', v);
      s.store(yp, get(t))(c);
      fmax(get(max), get(t))(c);
      c.set(max);
    });
    const top = bind(c, 'v128', horizontal(get(max), 'f32x4.max'));
    const sum = bind(c, 'v128', splat(0));
    rowPass(c, len, (s) => {
      const e = bind(c, 'v128', prog.exprs.apply('exp', 'vector', fsub(s.load(yp), get(top))));
      s.store(yp, get(e))(c);
      fadd(get(sum), sumLanes(s, get(e)))(c);
      c.set(sum);
    });
    const total = bind(c, 'v128', horizontal(get(sum), 'f32x4.add'));
    rowPass(c, len, (s) => s.store(yp, fdiv(s.load(yp), get(total)))(c));
  });
}

export function emitLayerNorm(k: Of<'layer_norm'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const shape = prog.shape(k.x);
  const len = ctx.let(ctx.dim(shape[shape.length - 1]));
  const widthF = bind(c, 'v128', op('f32x4.splat', op('f32.convert_i32_s', get(len))));
  const [x, out, w, b] = [k.x, k.out, k.weight, k.bias].map((id) => ctx.let(ctx.addr(id)));
  const sumBase = k.sum === undefined ? out : ctx.let(ctx.addr(k.sum));
  forEachRow(ctx, shape, k.residual === undefined ? [] : [k.residual], (_r, rowByte, [res]) => {
    const xp = ctx.let(iadd(get(x), get(rowByte)));
    const sp = ctx.let(iadd(get(sumBase), get(rowByte)));
    const yp = ctx.let(iadd(get(out), get(rowByte)));
    const acc = bind(c, 'v128', splat(0));
    rowPass(c, len, (s) => {
      const v = bind(c, 'v128', res ? fadd(s.load(xp), operandAt(s, res)) : s.load(xp));
      s.store(sp, get(v))(c);
      fadd(get(acc), sumLanes(s, get(v)))(c);
      c.set(acc);
    });
    const mean = bind(c, 'v128', fdiv(horizontal(get(acc), 'f32x4.add'), get(widthF)));
    splat(0)(c);
    c.set(acc);
    rowPass(c, len, (s) => {
      const d = bind(c, 'v128', fsub(s.load(sp), get(mean)));
      fadd(get(acc), sumLanes(s, fmul(get(d), get(d))))(c);
      c.set(acc);
    });
    const variance = fdiv(horizontal(get(acc), 'f32x4.add'), get(widthF));
    const inv = bind(c, 'v128', fdiv(splat(1), op('f32x4.sqrt', fadd(variance, splat(k.eps)))));
    rowPass(c, len, (s) => {
      const scaled = fmul(fmul(fsub(s.load(sp), get(mean)), get(inv)), s.load(w));
      s.store(yp, fadd(scaled, s.load(b)))(c);
    });
  });
}
