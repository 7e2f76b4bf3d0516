// Movement kernels: transpose (a loop nest over the output with permuted input strides, whose
// innermost contiguous runs become memory.copy), slice, dynamic_slice (its start clamped) and
// concat (one memory.copy per outer index), gather (one memory.copy per picked row; an index out
// of range traps, as the interpreter throws; so does a slice past the end of its input) and iota. Elements move as raw bytes of their natural width.

import type { Kernel } from '@smelt/compiler';
import type { Dim } from '@smelt/ir';
import type { Local } from '../encoder/code.ts';
import { loadScalar, storeScalar } from '../codegen/access.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { type Val, forRange, get, i32, iadd, imax, imin, imul, op } from '../codegen/ops.ts';
import { indexSplit } from '../codegen/rows.ts';

type Of<K extends Kernel['kind']> = Extract<Kernel, { kind: K }>;

const copy = (dst: Val, src: Val, bytes: Val): Val => (c) => { dst(c); src(c); bytes(c); c.memoryCopy(); };
const addr = (base: Local, elems: Val, width: number): Val => iadd(get(base), imul(elems, i32(width)));

/** Copy one element of `width` bytes. */
function copyElement(width: number, dst: Val, src: Val): Val {
  const [load, store] = width === 8 ? ['i64.load', 'i64.store'] as const : width === 4 ? ['i32.load', 'i32.store'] as const
    : width === 2 ? ['i32.load16_u', 'i32.store16'] as const : ['i32.load8_u', 'i32.store8'] as const;
  return (c) => { dst(c); src(c); c.mem(load); c.mem(store); };
}

/** Output dims after dropping 1s and merging neighbours that stay neighbours in the input. */
function transposeDims(inShape: readonly Dim[], perm: readonly number[]): { extents: Dim[][]; strides: Dim[][] } {
  const inStride = (axis: number) => inShape.slice(axis + 1);
  const extents: Dim[][] = [];
  const strides: Dim[][] = [];
  let prev = -2;
  for (const p of perm) {
    if (inShape[p] === 1) continue;
    if (p === prev + 1 && extents.length) {
      extents[extents.length - 1].push(inShape[p]);
      strides[strides.length - 1] = inStride(p);
    } else {
      extents.push([inShape[p]]);
      strides.push(inStride(p));
    }
    prev = p;
  }
  return { extents, strides };
}

export function emitTranspose(k: Of<'transpose'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const width = prog.elemBytes(k.x);
  const { extents, strides } = transposeDims(prog.shape(k.x), k.perm);
  if (extents.length === 0) {
    ctx.single(() => copy(ctx.addr(k.out), ctx.addr(k.x), i32(width))(c));
    return;
  }
  const last = extents.length - 1;
  const contiguous = strides[last].length === 0;
  const runLen = ctx.let(ctx.numel(extents[last]));
  const runStride = ctx.let(ctx.numel(strides[last]));
  const space = indexSplit(ctx, extents.slice(0, last), [strides.slice(0, last)]);
  const src = ctx.let(ctx.addr(k.x));
  const dst = ctx.let(ctx.addr(k.out));
  ctx.forEachItem(get(space.rows), (r) => {
    const [off] = space.at(r);
    const from = ctx.let(addr(src, get(off), width));
    const to = ctx.let(addr(dst, imul(get(r), get(runLen)), width));
    if (contiguous) {
      copy(get(to), get(from), imul(get(runLen), i32(width)))(c);
      return;
    }
    const j = c.local('i32');
    forRange(c, j, i32(0), get(runLen), () => {
      copyElement(width, addr(to, get(j), width), addr(from, imul(get(j), get(runStride)), width))(c);
    });
  });
}

/** Rows of `outer` × runs: copy run o of `bytes` from src + o·srcPitch to dst + o·dstPitch (bytes). */
function copyRuns(ctx: KernelCtx, outer: Val, src: Val, srcPitch: Val, dst: Val, dstPitch: Val, bytes: Val): void {
  const c = ctx.c;
  const [s, sp, d, dp, n] = [src, srcPitch, dst, dstPitch, bytes].map((v) => ctx.let(v));
  ctx.forEachItem(outer, (o) => {
    copy(iadd(get(d), imul(get(o), get(dp))), iadd(get(s), imul(get(o), get(sp))), get(n))(c);
  });
}

/**
 * Copy entries [start, start + size) of x along `axis` into out (start in entries, size out's dim),
 * trapping first when the slice can run past the input: the end is checked with `end` entries.
 */
function copySlice(ctx: KernelCtx, x: number, out: number, axis: number, start: Val, end: Val): void {
  const { prog } = ctx;
  const xs = prog.shape(x);
  const width = prog.elemBytes(x);
  const inner = xs.slice(axis + 1);
  const run = ctx.numel([prog.shape(out)[axis], ...inner], width);
  op('i32.gt_u', end, ctx.dim(xs[axis]))(ctx.c);
  ctx.c.if(() => ctx.c.op('unreachable'));
  const from = iadd(ctx.addr(x), imul(start, ctx.numel(inner, width)));
  copyRuns(ctx, ctx.numel(xs.slice(0, axis)), from, ctx.numel(xs.slice(axis), width), ctx.addr(out), run, run);
}

export function emitSlice(k: Of<'slice'>, ctx: KernelCtx): void {
  // A symbolic size or start can run past the input: trap, as the interpreter throws.
  copySlice(ctx, k.x, k.out, k.axis, ctx.dim(k.start), iadd(ctx.dim(k.start), ctx.dim(ctx.prog.shape(k.out)[k.axis])));
}

/** A slice from a start read at run time: the i32 scalar clamped into [0, len - size] (a size past len traps). */
export function emitDynamicSlice(k: Of<'dynamic_slice'>, ctx: KernelCtx): void {
  const { prog } = ctx;
  const [len, size] = [ctx.dim(prog.shape(k.x)[k.axis]), ctx.dim(prog.shape(k.out)[k.axis])];
  const last = ctx.let(op('i32.sub', len, size));
  const start = ctx.let(imin(imax(loadScalar(prog, 'i32', ctx.addr(k.start)), i32(0)), get(last)));
  copySlice(ctx, k.x, k.out, k.axis, get(start), size);
}

export function emitConcat(k: Of<'concat'>, ctx: KernelCtx): void {
  const { prog } = ctx;
  const os = prog.shape(k.out);
  const width = prog.elemBytes(k.out);
  const inner = os.slice(k.axis + 1);
  const outPitch = ctx.let(ctx.numel(os.slice(k.axis), width));
  const at = ctx.let(ctx.addr(k.out));
  for (const t of k.inputs) {
    const run = ctx.numel(prog.shape(t).slice(k.axis), width);
    copyRuns(ctx, ctx.numel(os.slice(0, k.axis)), ctx.addr(t), run, get(at), get(outPitch), run);
    iadd(get(at), ctx.numel([prog.shape(t)[k.axis], ...inner], width))(ctx.c);
    ctx.c.set(at);
  }
}

export function emitGather(k: Of<'gather'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const ts = prog.shape(k.table);
  const width = prog.elemBytes(k.table);
  const len = ctx.let(ctx.dim(ts[k.axis]));
  const rowBytes = ctx.let(ctx.numel(ts.slice(k.axis + 1), width));
  const count = ctx.let(ctx.numel(prog.shape(k.indices)));
  const table = ctx.let(ctx.addr(k.table));
  const indices = ctx.let(ctx.addr(k.indices));
  const out = ctx.let(ctx.addr(k.out));
  const idxType = prog.dtype(k.indices);
  ctx.forEachItem(imul(ctx.numel(ts.slice(0, k.axis)), get(count)), (item) => {
    const o = ctx.let(op('i32.div_u', get(item), get(count)));
    const i = ctx.let(op('i32.rem_u', get(item), get(count)));
    let index = loadScalar(prog, idxType, addr(indices, get(i), prog.elemBytes(k.indices)));
    if (idxType === 'i64') index = op('i32.wrap_i64', index);
    const at = ctx.let(index);
    op('i32.ge_u', get(at), get(len))(c);
    c.if(() => c.op('unreachable'));
    const src = iadd(get(table), imul(iadd(imul(get(o), get(len)), get(at)), get(rowBytes)));
    copy(iadd(get(out), imul(get(item), get(rowBytes))), src, get(rowBytes))(c);
  });
}

export function emitIota(k: Of<'iota'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const shape = prog.shape(k.out);
  const stride = ctx.let(ctx.numel(shape.slice(k.axis + 1)));
  const len = ctx.let(ctx.dim(shape[k.axis]));
  const out = ctx.let(ctx.addr(k.out));
  const dtype = prog.dtype(k.out);
  ctx.forEachItem(ctx.numel(shape), (i) => {
    const index = op('i32.rem_u', op('i32.div_u', get(i), get(stride)), get(len));
    storeScalar(prog, dtype, addr(out, get(i), prog.elemBytes(k.out)), dtype === 'f32' ? op('f32.convert_i32_s', index) : index)(c);
  });
}
