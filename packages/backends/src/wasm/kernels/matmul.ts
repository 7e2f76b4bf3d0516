// Matmul with a fused epilogue: out = epilogue(a @ b, extras…) over broadcast batch dims. B comes
// as 8-column panels: packed at load for weights, packed per (batch, column chunk) into this
// thread's scratch otherwise. Work items are (batch, column chunk, row chunk); within an item each
// B panel stays in L1 while MR-row tiles of A stream past it. An item with fewer than MR rows (a
// decode step's GEMV) instead runs tiles spanning several panels (gemm-tile.ts emitTiles): B is
// read once either way, and the wide tile reads it faster. Without batch broadcasting, batch
// folds into the rows (one long GEMM per linear layer). int8 panels are read as they are by the
// integer tile, over the item's A rows quantized to int16 once per thread and row chunk
// (gemm-int8.ts; items then run row chunk by row chunk, so a thread's consecutive items share
// their rows); the column scales multiply the accumulators before the epilogue. f16 panels are
// read as they are, dequantized in registers, with at most F16_DIRECT_ROWS rows (a decode step);
// with more, where each panel serves many row tiles, a work item first dequantizes its column
// chunk into this thread's scratch, as a per-run B is packed, and the f32 tile runs over it (as
// int8 does past INT8_INTEGER_MAX_K).

import { type Kernel, type WeightsDType, baseBuffer } from '@smelt/compiler';
import type { Dim } from '@smelt/ir';
import type { Code, Local } from '../encoder/code.ts';
import { mergeView, presence } from '../codegen/broadcast.ts';
import type { DimSource, KernelCtx, ProgramCtx } from '../codegen/context.ts';
import { dimProductVal } from '../codegen/context.ts';
import { PANEL, PANEL_ELEMENT_BYTES, type PackedPanels, hasPackedB, int8Steps } from '../codegen/memory-map.ts';
import { type Val, bind, forRange, get, i32, iadd, imin, imul, op } from '../codegen/ops.ts';
import { type RowOffsets, rowOffsets } from '../codegen/rows.ts';
import { emitPackPanels } from './gemm-pack.ts';
import { INT8_INTEGER_MAX_K, QUANT_ROWS, QUANT_SCALE_BYTES, emitDequantizeInt8Panels, emitInt8Tiles, emitQuantizeRows, quantBytes, quantRowBytes } from './gemm-int8.ts';
import { MR, type Stride, WIDE, bLoader, dispatchRows, emitTile, emitTiles, forPanelGroups } from './gemm-tile.ts';
import { type ExtraRow, storeTile } from './matmul-epilogue.ts';

export type Matmul = Extract<Kernel, { kind: 'matmul' }>;

/** Rows per work item (as many as one int8 quantization holds), and 8-column panels per work item. */
const MC = QUANT_ROWS;
const NCP = 8;
const TILE_BYTES = MR * PANEL * 4;
/** Up to this many rows, f16 panels are read directly; above, dequantized once per work item into scratch. */
const F16_DIRECT_ROWS = 8;

interface Geometry {
  readonly m: Dim; readonly k: Dim; readonly n: Dim;
  readonly batch: readonly Dim[];
  /** Batch dims fold into rows: one GEMM of numel(batch)·m rows. */
  readonly fold: boolean;
  /** Per extra: presence along the output's rows (m) and columns (n). */
  readonly extras: readonly { readonly id: number; readonly alongM: boolean; readonly alongN: boolean }[];
}

function geometry(k: Matmul, prog: ProgramCtx): Geometry {
  const [as, bs, os] = [k.a, k.b, k.out].map((id) => prog.shape(id));
  const r = os.length;
  const [m, n] = os.slice(-2);
  const kDim = k.transA ? as[as.length - 2] : as[as.length - 1];
  const batch = os.slice(0, -2);
  const extras = k.extras.map((id) => {
    const p = presence(prog.shape(id), os);
    return { id, alongM: p[r - 2], alongN: p[r - 1], batch: p.slice(0, -2) };
  });
  const bHasBatch = bs.slice(0, -2).some((d) => d !== 1);
  const aFull = presence(as, os).slice(0, -2).every(Boolean);
  const fold = !bHasBatch && !k.transA && aFull && extras.every((e) => e.batch.every((p) => p === e.alongM));
  return { m, k: kDim, n, batch, fold, extras };
}

/**
 * Per-thread scratch: the partial-panel tile, plus a column chunk of f32 panels when B is packed per
 * run or dequantized per item, or an item's quantized rows when int8 panels are read as integers.
 */
export function matmulScratch(k: Matmul, prog: ProgramCtx, dims: DimSource): (c: Code) => void {
  const packed = hasPackedB(prog.plan, k) ? prog.memory.packedFor(baseBuffer(prog.plan.buffers, k.b), k.transB) : undefined;
  if (packed?.dtype === 'f32') return i32(TILE_BYTES);
  if (packed && integerInt8(packed)) return i32(TILE_BYTES + quantBytes(packed.k));
  return iadd(i32(TILE_BYTES), dimProductVal(dims, [geometry(k, prog).k], NCP * PANEL * 4));
}

/** int8 panels the integer tile reads (the reduction is short enough for its i32 sums). */
const integerInt8 = (packed: PackedPanels | undefined): boolean => packed?.dtype === 'int8' && packed.k <= INT8_INTEGER_MAX_K;

/** Values every work item of one matmul kernel reads (locals set before the item loop). */
interface Setup {
  readonly g: Geometry;
  readonly rows: Local; readonly K: Local; readonly N: Local; readonly panels: Local; readonly mChunks: Local; readonly nChunks: Local; readonly perBatch: Local;
  readonly space: RowOffsets;
  readonly bases: { readonly a: Local; readonly b: Local; readonly out: Local; readonly extras: readonly Local[] };
  readonly tileBuf: Local; readonly packBuf: Local; readonly lastPacked: Local;
  /** Address of the A rows last quantized into packBuf (int8 GEMV), -1 before the first. */
  readonly lastQuantized: Local;
  /** Panels packed at load, or undefined when B is packed per run into packBuf. */
  readonly packed?: PackedPanels;
}

function setup(k: Matmul, ctx: KernelCtx): Setup & { items: Val } {
  const { prog } = ctx;
  const g = geometry(k, prog);
  const [as, bs] = [prog.shape(k.a), prog.shape(k.b)];
  const rows = ctx.let(ctx.numel(g.fold ? [...g.batch, g.m] : [g.m]));
  const [K, N] = [ctx.let(ctx.dim(g.k)), ctx.let(ctx.dim(g.n))];
  const panels = ctx.let(op('i32.shr_u', iadd(get(N), i32(PANEL - 1)), i32(3)));
  const nChunks = ctx.let(op('i32.div_u', iadd(get(panels), i32(NCP - 1)), i32(NCP)));
  const mChunks = ctx.let(op('i32.div_u', iadd(get(rows), i32(MC - 1)), i32(MC)));
  const perBatch = ctx.let(imul(get(nChunks), get(mChunks)));
  // Element offsets of a, b and each extra for batch index bi (all zero when folded).
  const batchShape = (s: readonly Dim[]) => s.slice(0, Math.max(0, s.length - 2));
  const inner = [as.slice(-2), bs.slice(-2), ...g.extras.map((e) => [...(e.alongM ? [g.m] : []), ...(e.alongN ? [g.n] : [])])];
  const view = mergeView(g.fold ? [] : g.batch, [as, bs, ...g.extras.map((e) => prog.shape(e.id))].map(batchShape));
  const space = rowOffsets(ctx, view, inner);
  const [a, b, out] = [k.a, k.b, k.out].map((id) => ctx.let(ctx.addr(id)));
  const tileBuf = ctx.let(ctx.scratch());
  return {
    g, rows, K, N, panels, mChunks, nChunks, perBatch, space, tileBuf,
    bases: { a, b, out, extras: g.extras.map((e) => ctx.let(ctx.addr(e.id))) },
    packBuf: ctx.let(iadd(get(tileBuf), i32(TILE_BYTES))),
    lastPacked: ctx.let(i32(-1)),
    lastQuantized: ctx.let(i32(-1)),
    packed: hasPackedB(prog.plan, k) ? prog.memory.packedFor(baseBuffer(prog.plan.buffers, k.b), k.transB) : undefined,
    items: imul(g.fold ? i32(1) : ctx.numel(g.batch), get(perBatch)),
  };
}

export function emitMatmul(k: Matmul, ctx: KernelCtx): void {
  const s = setup(k, ctx);
  ctx.forEachItem(s.items, (item) => emitItem(k, ctx, s, item));
}

/**
 * One work item: batch bi, panels [p0, p1) of column chunk nc, rows of row chunk mc. Consecutive
 * items share their column chunk (packed or dequantized once per thread), or with int8 panels read
 * as integers their row chunk (quantized once per thread).
 */
function emitItem(k: Matmul, ctx: KernelCtx, s: Setup, item: Local): void {
  const c = ctx.c;
  const bi = ctx.let(op('i32.div_u', get(item), get(s.perBatch)));
  const rem = ctx.let(op('i32.rem_u', get(item), get(s.perBatch)));
  const rowsOuter = integerInt8(s.packed);
  const mc = ctx.let(rowsOuter ? op('i32.div_u', get(rem), get(s.nChunks)) : op('i32.rem_u', get(rem), get(s.mChunks)));
  const nc = rowsOuter ? op('i32.rem_u', get(rem), get(s.nChunks)) : op('i32.div_u', get(rem), get(s.mChunks));
  const p0 = ctx.let(imul(nc, i32(NCP)));
  const p1 = ctx.let(imin(get(s.panels), iadd(get(p0), i32(NCP))));
  const [aOff, bOff, ...extraOffs] = s.space.at(bi);
  const elems = (base: Local, offset: Val) => ctx.let(iadd(get(base), op('i32.shl', offset, i32(2))));
  const target = {
    out: elems(s.bases.out, imul(imul(get(bi), get(s.rows)), get(s.N))),
    extras: s.g.extras.map((e, x): ExtraRow => ({
      base: elems(s.bases.extras[x], get(extraOffs[x])),
      rowStride: e.alongM ? (e.alongN ? s.N : 1) : 0,
      alongN: e.alongN,
    })),
  };
  const a = elems(s.bases.a, get(aOff));
  const start = ctx.let(imul(get(mc), i32(MC)));
  const end = ctx.let(imin(iadd(get(start), i32(MC)), get(s.rows)));
  const rowsOf = { a, start, end, ...target };
  if (s.packed && s.packed.dtype !== 'f32') {
    const packed = s.packed;
    if (integerInt8(packed)) {
      quantizeRows(k, ctx, s, rowsOf);
      return emitPanels(k, ctx, s, p0, p1, { ...rowsOf, quant: s.packBuf }, packed);
    }
    const dequantize = () => {
      packChunk(ctx, s, item, () => (packed.scales !== undefined ? emitDequantizeInt8Panels(ctx, { ...packed, scales: packed.scales }, p0, p1, s.packBuf) : emitDequantizePanels(ctx, packed, s.K, p0, p1, s.packBuf)));
      emitPanels(k, ctx, s, p0, p1, rowsOf, undefined);
    };
    if (packed.dtype === 'int8') return dequantize();
    op('i32.le_u', get(s.rows), i32(F16_DIRECT_ROWS))(c);
    c.if(() => emitPanels(k, ctx, s, p0, p1, rowsOf, packed), dequantize);
    return;
  }
  if (!s.packed) packChunk(ctx, s, item, () => emitPackPanels(ctx, { base: elems(s.bases.b, get(bOff)), k: s.K, n: s.N, transB: k.transB }, p0, p1, s.packBuf));
  emitPanels(k, ctx, s, p0, p1, rowsOf, s.packed);
}

/** Pack this item's column chunk into scratch, unless this thread's previous item packed the same one. */
function packChunk(ctx: KernelCtx, s: Setup, item: Local, pack: () => void): void {
  const c = ctx.c;
  const chunk = ctx.let(op('i32.div_u', get(item), get(s.mChunks)));
  op('i32.ne', get(chunk), get(s.lastPacked))(c);
  c.if(() => {
    pack();
    c.get(chunk).set(s.lastPacked);
  });
}

/** `quant`: where this thread's int16 copy of rows [start, end) is (int8 panels; gemm-int8.ts's layout). */
type RowsOf = { a: Local; start: Local; end: Local; out: Local; extras: ExtraRow[]; quant?: Local };

/** Quantize rows [start, end) of A to int16 in packBuf, unless this thread's previous item did these rows. */
function quantizeRows(k: Matmul, ctx: KernelCtx, s: Setup, t: RowsOf): void {
  const c = ctx.c;
  const a = ctx.let(aTileAt(k, s, t, t.start));
  op('i32.ne', get(a), get(s.lastQuantized))(c);
  c.if(() => {
    emitQuantizeRows(ctx, { a, rows: ctx.let(op('i32.sub', get(t.end), get(t.start))), k: s.packed!.k, ...aStrides(k, ctx, s) }, s.packBuf);
    c.get(a).set(s.lastQuantized);
  });
}

/** Panel source of this item: load-time panels (`packed`, maybe quantized) or the chunk in scratch. */
interface PanelSource {
  readonly dtype: WeightsDType;
  /** Address of panel p's first byte. */
  at(p: Local): Val;
  /** Address of panel p's 8 int8 column scales, when quantized to int8. */
  scalesAt?(p: Local): Val;
  /** Bytes from one panel to the next. */
  readonly stride: Local;
}

function panelSource(ctx: KernelCtx, s: Setup, p0: Local, packed: PackedPanels | undefined): PanelSource {
  const dtype = packed?.dtype ?? 'f32';
  const stride = ctx.let(dtype === 'int8' ? i32(int8Steps(packed!.k) * PANEL) : imul(get(s.K), i32(PANEL * PANEL_ELEMENT_BYTES[dtype])));
  if (!packed) return { dtype, stride, at: (p) => iadd(get(s.packBuf), imul(op('i32.sub', get(p), get(p0)), get(stride))) };
  const scales = packed.scales;
  return {
    dtype, stride,
    at: (p) => iadd(i32(packed.address), imul(get(p), get(stride))),
    ...(scales !== undefined && { scalesAt: (p: Local) => iadd(i32(scales), imul(get(p), i32(PANEL * 4))) }),
  };
}

/**
 * Panels [p0, p1) against the item's rows. MR rows or more: one panel at a time, MR-row tiles
 * streaming past it. Fewer (a decode step's GEMV, or the last rows of a chunk): WIDE[rows] panels
 * per tile, so the k loop has independent accumulators and several B streams to read.
 */
function emitPanels(k: Matmul, ctx: KernelCtx, s: Setup, p0: Local, p1: Local, t: RowsOf, packed: PackedPanels | undefined): void {
  const c = ctx.c;
  const src = panelSource(ctx, s, p0, packed);
  const rows = ctx.let(op('i32.sub', get(t.end), get(t.start)));
  const p = c.local('i32');
  const fewRows = (r: number) => forPanelGroups(c, p, get(p0), p1, WIDE[r], (wide) => emitWideTile(k, ctx, s, t, src, p, r, wide));
  op('i32.ge_s', get(rows), i32(MR))(c);
  c.if(() => forRange(c, p, get(p0), get(p1), () => emitPanelRows(k, ctx, s, { ...t, panel: ctx.let(src.at(p)), scales: src.scalesAt && ctx.let(src.scalesAt(p)), dtype: src.dtype, j0: ctx.let(imul(get(p), i32(PANEL))) })),
    () => {
      const chain = (r: number): void => {
        if (r === 1) return fewRows(1);
        op('i32.eq', get(rows), i32(r))(c);
        c.if(() => fewRows(r), () => chain(r - 1));
      };
      chain(MR - 1);
    });
}

/** Rows [start, end) (fewer than MR: `rows` of them) against panels [p, p + wide). */
function emitWideTile(k: Matmul, ctx: KernelCtx, s: Setup, t: RowsOf, src: PanelSource, p: Local, rows: number, wide: number): void {
  const { c, prog } = ctx;
  const acc = t.quant ? emitInt8Tiles(c, { rows, panels: wide, ...int8Rows(s, t.quant, 0), b: src.at(p), panelStride: src.stride }) : emitTiles(c, {
    rows, panels: wide, k: get(s.K), relaxed: prog.simd === 'relaxed',
    a: { base: aTileAt(k, s, t, t.start), ...aStrides(k, ctx, s) },
    b: { base: src.at(p), kStride: PANEL * PANEL_ELEMENT_BYTES[src.dtype], dtype: src.dtype, panelStride: src.stride },
  });
  acc.forEach((panelAcc, q) => {
    const pq = ctx.let(iadd(get(p), i32(q)));
    if (src.scalesAt) scaleColumns(c, panelAcc, ctx.let(src.scalesAt(pq)));
    storeTile(ctx, k, panelAcc, { i0: t.start, j0: ctx.let(imul(get(pq), i32(PANEL))), n: s.N, out: t.out, tileBuf: s.tileBuf, extras: t.extras });
  });
}

/** Dequantize f16 panels [p0, p1) of `packed` into f32 panels at `dst` (int8: gemm-int8.ts). */
function emitDequantizePanels(ctx: KernelCtx, packed: PackedPanels, K: Local, p0: Local, p1: Local, dst: Local): void {
  const c = ctx.c;
  const bytes = PANEL * PANEL_ELEMENT_BYTES[packed.dtype];
  const from = ctx.let(iadd(i32(packed.address), imul(imul(get(p0), get(K)), i32(bytes))));
  const to = ctx.let(get(dst));
  const count = ctx.let(imul(op('i32.sub', get(p1), get(p0)), get(K)));
  const bv = [c.local('v128'), c.local('v128')];
  const load = bLoader(c, packed.dtype, from, bv);
  const at = ctx.let(i32(0));
  forRange(c, at, i32(0), get(count), () => {
    load();
    bv.forEach((l, h) => { c.get(to).get(l).mem('v128.store', 16 * h); });
    iadd(get(from), i32(bytes))(c);
    c.set(from);
    iadd(get(to), i32(PANEL * 4))(c);
    c.set(to);
  });
}

/** Rows [start, end) against one B panel, MR at a time. */
function emitPanelRows(k: Matmul, ctx: KernelCtx, s: Setup, t: RowsOf & { panel: Local; scales?: Local; dtype: WeightsDType; j0: Local }): void {
  const { c, prog } = ctx;
  const aStride = aStrides(k, ctx, s);
  const i0 = c.local('i32');
  forRange(c, i0, get(t.start), get(t.end), () => {
    const aTile = aTileAt(k, s, t, i0);
    dispatchRows(c, ctx.let(op('i32.sub', get(t.end), get(i0))), (rows) => {
      const dtype = t.dtype;
      const acc = t.quant
        ? emitInt8Tiles(c, { rows, panels: 1, ...int8Rows(s, t.quant, op('i32.sub', get(i0), get(t.start))), b: get(t.panel), panelStride: 0 })[0]
        : emitTile(c, { rows, k: get(s.K), relaxed: prog.simd === 'relaxed', a: { base: aTile, ...aStride }, b: { base: get(t.panel), kStride: PANEL * PANEL_ELEMENT_BYTES[dtype], dtype } });
      if (t.scales) scaleColumns(c, acc, t.scales);
      storeTile(ctx, k, acc, { i0, j0: t.j0, n: s.N, out: t.out, tileBuf: s.tileBuf, extras: t.extras });
    });
  }, MR);
}

/** The quantized A rows of an int8 tile whose first row is row `first` of the item's quantized rows. */
function int8Rows(s: Setup, quant: Local, first: Val | number) {
  const k = s.packed!.k;
  const row = typeof first === 'number' ? i32(first) : first;
  return {
    a: iadd(get(quant), iadd(i32(QUANT_SCALE_BYTES), imul(row, i32(quantRowBytes(k))))),
    rowBytes: quantRowBytes(k),
    scales: iadd(get(quant), op('i32.shl', row, i32(2))),
    pairs: int8Steps(k) / 2,
  };
}

/** Bytes from one A row to the next and from one k step to the next. */
function aStrides(k: Matmul, ctx: KernelCtx, s: Setup): { rowStride: Stride; kStride: Stride } {
  const { g } = s;
  return k.transA
    ? { rowStride: 4, kStride: typeof g.m === 'number' ? g.m * 4 : ctx.let(imul(get(s.rows), i32(4))) }
    : { rowStride: typeof g.k === 'number' ? g.k * 4 : ctx.let(imul(get(s.K), i32(4))), kStride: 4 };
}

/** Address of A's row i0 (its first k step). */
const aTileAt = (k: Matmul, s: Setup, t: RowsOf, i0: Local): Val => iadd(get(t.a), imul(k.transA ? get(i0) : imul(get(i0), get(s.K)), i32(4)));

/** acc[r][h] *= the column scales of its four columns (int8 panels). */
function scaleColumns(c: Code, acc: Local[][], scales: Local): void {
  const vs = [0, 1].map((h) => bind(c, 'v128', (cc) => cc.get(scales).mem('v128.load', 16 * h)));
  for (const row of acc) row.forEach((l, h) => { c.get(l).get(vs[h]).op('f32x4.mul').set(l); });
}
