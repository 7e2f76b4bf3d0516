// Kernels of the modern Transformer's ops: rope (per x row: the pass-through tail copied, then
// each rotated pair from its table row; threads split the rows) and pad (the value everywhere,
// then x's rows copied to their places, on one thread: the fill must come before every copy).

import type { Kernel } from '@smelt/compiler';
import { mergeView } from '../codegen/broadcast.ts';
import { storeScalar } from '../codegen/access.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { type Val, bind, forRange, get, i32, iadd, imul, op } from '../codegen/ops.ts';
import { indexSplit, rowOffsets } from '../codegen/rows.ts';

type Of<K extends Kernel['kind']> = Extract<Kernel, { kind: K }>;

const f32At = (addr: Val): Val => (c) => { addr(c); c.mem('f32.load'); };

export function emitRope(k: Of<'rope'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const xs = prog.shape(k.x);
  const ts = prog.shape(k.cos);
  const half = ts[ts.length - 1] as number;
  const width = xs[xs.length - 1] as number;
  const space = rowOffsets(ctx, mergeView(xs.slice(0, -1), [ts.slice(0, -1)]), [[half]]);
  const [x, cos, sin, out] = [k.x, k.cos, k.sin, k.out].map((id) => ctx.let(ctx.addr(id)));
  ctx.forEachItem(get(space.rows), (r) => {
    const [t] = space.at(r);
    const rowByte = ctx.let(imul(get(r), i32(width * 4)));
    const xr = ctx.let(iadd(get(x), get(rowByte)));
    const yr = ctx.let(iadd(get(out), get(rowByte)));
    const tb = ctx.let(op('i32.shl', get(t), i32(2)));
    if (width > 2 * half) {
      iadd(get(yr), i32(8 * half))(c);
      iadd(get(xr), i32(8 * half))(c);
      c.i32((width - 2 * half) * 4).memoryCopy();
    }
    const p = c.local('i32');
    forRange(c, p, i32(0), i32(half), () => {
      const pb = ctx.let(op('i32.shl', get(p), i32(2)));
      const ib = ctx.let(k.interleaved ? op('i32.shl', get(p), i32(3)) : get(pb));
      const jb = ctx.let(k.interleaved ? iadd(get(ib), i32(4)) : iadd(get(pb), i32(4 * half)));
      const [a, b] = [ib, jb].map((o) => bind(c, 'f32', f32At(iadd(get(xr), get(o)))));
      const [cv, sv] = [cos, sin].map((base) => bind(c, 'f32', f32At(iadd(iadd(get(base), get(tb)), get(pb)))));
      const store = (o: Val, v: Val) => (cc: typeof c) => { o(cc); v(cc); cc.mem('f32.store'); };
      store(iadd(get(yr), get(ib)), op('f32.sub', op('f32.mul', get(a), get(cv)), op('f32.mul', get(b), get(sv))))(c);
      store(iadd(get(yr), get(jb)), op('f32.add', op('f32.mul', get(b), get(cv)), op('f32.mul', get(a), get(sv))))(c);
    });
  });
}

export function emitPad(k: Of<'pad'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const xs = prog.shape(k.x);
  const os = prog.shape(k.out);
  const bytes = prog.elemBytes(k.out);
  const value: Val = prog.dtype(k.out) === 'f32' ? (cc) => cc.f32(k.value) : i32(k.value);
  const outStride = (a: number) => os.slice(a + 1);
  const base = k.before.reduce<Val>((acc, b, a) => (b === 0 ? acc : iadd(acc, imul(i32(b), ctx.numel(outStride(a))))), i32(0));
  ctx.single(() => {
    const [x, out] = [k.x, k.out].map((id) => ctx.let(ctx.addr(id)));
    const i = c.local('i32');
    forRange(c, i, i32(0), ctx.numel(os), () => storeScalar(prog, prog.dtype(k.out), iadd(get(out), imul(get(i), i32(bytes))), value)(c));
    const width = ctx.let(xs.length ? ctx.dim(xs[xs.length - 1]) : i32(1));
    const space = indexSplit(ctx, xs.slice(0, -1).map((d) => [d]), [xs.slice(0, -1).map((_, a) => outStride(a))]);
    const start = ctx.let(base);
    const r = c.local('i32');
    forRange(c, r, i32(0), get(space.rows), () => {
      const [off] = space.at(r);
      iadd(get(out), imul(iadd(get(start), get(off)), i32(bytes)))(c);
      iadd(get(x), imul(imul(get(r), get(width)), i32(bytes)))(c);
      imul(get(width), i32(bytes))(c);
      c.memoryCopy();
    });
  });
}
