// Kernels of the modern Transformer's ops: rope (per x row: the pass-through tail copied, then
// each rotated pair from its table row; threads split the rows) and pad (per output row: x's row
// between the padding, or the value throughout; threads split the rows),
// cumsum and topk (one line along the axis per work item; f32 sums and topk's comparisons in
// f64; each topk pick is the best element after the previous pick in topk's order) and conv1d
// (one output element per work item, the sum in f64).

import type { Kernel } from '@smelt/compiler';
import type { Dim } from '@smelt/ir';
import { mergeView } from '../codegen/broadcast.ts';
import { loadScalar, storeScalar } from '../codegen/access.ts';
import type { KernelCtx } from '../codegen/context.ts';
import type { Local } from '../encoder/code.ts';
import { type Val, bind, forRange, get, i32, iadd, imul, op } from '../codegen/ops.ts';
import { rowOffsets } from '../codegen/rows.ts';

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
  const rank = os.length;
  const bytes = prog.elemBytes(k.out);
  const value: Val = prog.dtype(k.out) === 'f32' ? (cc) => cc.f32(k.value) : i32(k.value);
  const [x, out] = [k.x, k.out].map((id) => ctx.let(ctx.addr(id)));
  const outWidth = ctx.let(rank ? ctx.dim(os[rank - 1]) : i32(1));
  const xWidth = ctx.let(rank ? ctx.dim(xs[rank - 1]) : i32(1));
  const lead = rank ? k.before[rank - 1] : 0;
  /** Store the value at elements [from, to) of the output row at `row` (a byte address). */
  const fill = (row: Local, from: Val, to: Val) => {
    const i = c.local('i32');
    forRange(c, i, from, to, () => storeScalar(prog, prog.dtype(k.out), iadd(get(row), imul(get(i), i32(bytes))), value)(c));
  };
  // One output row per work item, so threads split the rows: the row is x's row r (its outer
  // coordinates, less the before amounts, inside x) between the padding, or all padding.
  ctx.forEachItem(ctx.numel(os.slice(0, -1)), (r) => {
    const row = ctx.let(iadd(get(out), imul(imul(get(r), get(outWidth)), i32(bytes))));
    const rest = ctx.let(get(r));
    const inside = ctx.let(i32(1));
    const xRow = ctx.let(i32(0));
    const xStride = ctx.let(i32(1));
    for (let a = rank - 2; a >= 0; a--) {
      const extent = ctx.let(ctx.dim(os[a]));
      const at = ctx.let(op('i32.sub', op('i32.rem_u', get(rest), get(extent)), i32(k.before[a])));
      c.get(rest).get(extent).op('i32.div_u').set(rest);
      const xExtent = ctx.let(ctx.dim(xs[a]));
      // at < 0 wraps past every extent as unsigned: outside.
      c.get(inside).get(at).get(xExtent).op('i32.lt_u').op('i32.and').set(inside);
      iadd(get(xRow), imul(get(at), get(xStride)))(c);
      c.set(xRow);
      c.get(xStride).get(xExtent).op('i32.mul').set(xStride);
    }
    c.get(inside).if(() => {
      fill(row, i32(0), i32(lead));
      iadd(get(row), i32(lead * bytes))(c);
      iadd(get(x), imul(imul(get(xRow), get(xWidth)), i32(bytes)))(c);
      imul(get(xWidth), i32(bytes))(c);
      c.memoryCopy();
      fill(row, iadd(i32(lead), get(xWidth)), get(outWidth));
    }, () => fill(row, i32(0), get(outWidth)));
  });
}

/** Lines of x along `axis` split across threads: `body` gets the line's first element index and the element step. */
function forEachLine(ctx: KernelCtx, shape: readonly Dim[], axis: number, body: (base: Local, step: Local, len: Local, line: Local) => void): void {
  const inner = ctx.let(ctx.numel(shape.slice(axis + 1)));
  const len = ctx.let(ctx.dim(shape[axis]));
  ctx.forEachItem(ctx.numel([...shape.slice(0, axis), ...shape.slice(axis + 1)]), (line) => {
    const base = ctx.let(iadd(imul(imul(op('i32.div_u', get(line), get(inner)), get(len)), get(inner)), op('i32.rem_u', get(line), get(inner))));
    body(base, inner, len, line);
  });
}

export function emitCumsum(k: Of<'cumsum'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const isInt = prog.dtype(k.x) === 'i32';
  const [x, out] = [k.x, k.out].map((id) => ctx.let(ctx.addr(id)));
  forEachLine(ctx, prog.shape(k.x), k.axis, (base, step, len) => {
    const acc = c.local(isInt ? 'i32' : 'f64');
    (isInt ? i32(0) : (cc: typeof c) => cc.f64(0))(c);
    c.set(acc);
    const s = c.local('i32');
    forRange(c, s, i32(0), get(len), () => {
      const at = ctx.let(op('i32.shl', iadd(get(base), imul(k.reverse ? op('i32.sub', op('i32.sub', get(len), i32(1)), get(s)) : get(s), get(step))), i32(2)));
      const v = loadScalar(prog, prog.dtype(k.x), iadd(get(x), get(at)));
      const next = bind(c, isInt ? 'i32' : 'f64', isInt ? op('i32.add', get(acc), v) : op('f64.add', get(acc), op('f64.promote_f32', v)));
      const shown = k.exclusive ? acc : next;
      storeScalar(prog, prog.dtype(k.out), iadd(get(out), get(at)), isInt ? get(shown) : op('f32.demote_f64', get(shown)))(c);
      c.get(next).set(acc);
    });
  });
}

/** (a at ia) comes before (b at ib) in topk's order (f64 values): larger (smaller) first, NaN as the largest, ties by lower index. */
function before(a: Local, ia: Local, b: Local, ib: Local, largest: boolean): Val {
  const idx = op('i32.lt_s', get(ia), get(ib));
  const nan = (v: Local) => op('f64.ne', get(v), get(v));
  const ordered = op('i32.or', op(largest ? 'f64.gt' : 'f64.lt', get(a), get(b)), op('i32.and', op('f64.eq', get(a), get(b)), idx));
  const [first, second] = largest ? [a, b] : [b, a];
  return op('i32.or', ordered, op('i32.and', nan(first), op('i32.or', op('i32.eqz', nan(second)), idx)));
}

export function emitTopk(k: Of<'topk'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const dtype = prog.dtype(k.x);
  const [x, out, indices] = [k.x, k.out, k.indices].map((id) => ctx.let(ctx.addr(id)));
  const kept = ctx.let(ctx.dim(prog.shape(k.out)[k.axis]));
  forEachLine(ctx, prog.shape(k.x), k.axis, (base, step, len, line) => {
    const outBase = ctx.let(iadd(imul(imul(op('i32.div_u', get(line), get(step)), get(kept)), get(step)), op('i32.rem_u', get(line), get(step))));
    const [pv, bv, v] = [0, 1, 2].map(() => c.local('f64'));
    const [pi, bi, j, r] = [0, 1, 2, 3].map(() => c.local('i32'));
    c.f64(0).set(pv).i32(-1).set(pi);
    forRange(c, r, i32(0), get(kept), () => {
      c.f64(0).set(bv).i32(-1).set(bi);
      forRange(c, j, i32(0), get(len), () => {
        const at = op('i32.shl', iadd(get(base), imul(get(j), get(step))), i32(2));
        op(dtype === 'i32' ? 'f64.convert_i32_s' : 'f64.promote_f32', loadScalar(prog, dtype, iadd(get(x), at)))(c);
        c.set(v);
        const afterPrev = op('i32.or', op('i32.lt_s', get(pi), i32(0)), before(pv, pi, v, j, k.largest));
        const beatsBest = op('i32.or', op('i32.lt_s', get(bi), i32(0)), before(v, j, bv, bi, k.largest));
        op('i32.and', afterPrev, beatsBest)(c);
        c.if(() => { c.get(v).set(bv).get(j).set(bi); });
      });
      const o = ctx.let(op('i32.shl', iadd(get(outBase), imul(get(r), get(step))), i32(2)));
      storeScalar(prog, dtype, iadd(get(out), get(o)), dtype === 'i32' ? op('i32.trunc_sat_f64_s', get(bv)) : op('f32.demote_f64', get(bv)))(c);
      storeScalar(prog, 'i32', iadd(get(indices), get(o)), get(bi))(c);
      c.get(bv).set(pv).get(bi).set(pi);
    });
  });
}

export function emitConv1d(k: Of<'conv1d'>, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const [, cin, len] = prog.shape(k.x).map((d) => ctx.let(ctx.dim(d)));
  const [cout, cpg, kk] = prog.shape(k.w) as number[];
  const lout = ctx.let(ctx.dim(prog.shape(k.out)[2]));
  const [x, w, out] = [k.x, k.w, k.out].map((id) => ctx.let(ctx.addr(id)));
  const bias = k.bias === undefined ? undefined : ctx.let(ctx.addr(k.bias));
  const f32At = (base: Local, elems: Val): Val => (cc) => { iadd(get(base), op('i32.shl', elems, i32(2)))(cc); cc.mem('f32.load'); };
  ctx.forEachItem(ctx.numel(prog.shape(k.out)), (item) => {
    const t = ctx.let(op('i32.rem_u', get(item), get(lout)));
    const rest = ctx.let(op('i32.div_u', get(item), get(lout)));
    const co = ctx.let(op('i32.rem_u', get(rest), i32(cout)));
    const sample = ctx.let(op('i32.div_u', get(rest), i32(cout)));
    const xBase = ctx.let(imul(iadd(imul(get(sample), get(cin)), imul(op('i32.div_u', get(co), i32(cout / k.groups)), i32(cpg))), get(len)));
    const acc = bind(c, 'f64', bias ? op('f64.promote_f32', f32At(bias, get(co))) : (cc) => cc.f64(0));
    const [ci, j] = [c.local('i32'), c.local('i32')];
    forRange(c, ci, i32(0), i32(cpg), () => {
      forRange(c, j, i32(0), i32(kk), () => {
        const at = ctx.let(op('i32.sub', iadd(imul(get(t), i32(k.stride)), imul(get(j), i32(k.dilation))), i32(k.padding)));
        op('i32.lt_u', get(at), get(len))(c); // unsigned: a negative position is out of range too
        c.if(() => {
          const wv = f32At(w, iadd(imul(iadd(imul(get(co), i32(cpg)), get(ci)), i32(kk)), get(j)));
          const xv = f32At(x, iadd(iadd(get(xBase), imul(get(ci), get(len))), get(at)));
          op('f64.add', get(acc), op('f64.mul', op('f64.promote_f32', wv), op('f64.promote_f32', xv)))(c);
          c.set(acc);
        });
      });
    });
    storeScalar(prog, 'f32', iadd(get(out), op('i32.shl', get(item), i32(2))), op('f32.demote_f64', get(acc)))(c);
  });
}
