// Attention, softmax(q·kᵀ·scale + mask, causal)·v, with online softmax over blocks of KB keys
// (never the full score matrix). Work items are (batch·head, tile of MR query rows). K and V of
// a batch·head are packed into panels once per thread (the thread's next item usually has the
// same batch·head); per key block, the GEMM tile computes the MR×KB scores (scaled, masked,
// causal and out-of-range keys set to -inf while still in registers), the running max and sum
// update, and a second GEMM tile accumulates P·V into an MR×dv scratch tile. Packing V matters
// as much as packing K: read in place, a panel's value rows are H·d floats apart in bshd, which
// maps them onto a few L1 sets; packed, the P·V tile streams them (the kernel is ~13% faster on
// W-base's heads). A row whose keys are all masked ends with sum 0 and gives NaN, as the
// reference's softmax does. Operands are addressed by the compiler's attentionAccess: a batch·head
// item's start in each operand and the step between its rows (d in bhsd, H·d in bshd), so q, k, v
// and the result are read and written in either layout, packed from it or used in place. With
// fewer queries than MR (a decode step) and a depth that is a multiple of 4, K and V are not
// packed (each batch·head has one item, so packing would cost as much as using it): the scores are
// dot products over K's rows in place, four keys at a time, and the P·V tile reads V in place,
// spanning several value panels (gemm-tile.ts WIDE).

import { type AttentionAccess, type Kernel, type Stride, attentionAccess } from '@smelt/compiler';
import type { Code, Local } from '../encoder/code.ts';
import { type DimSource, type KernelCtx, type ProgramCtx, dimProductVal } from '../codegen/context.ts';
import { PANEL } from '../codegen/memory-map.ts';
import { type Val, bind, fadd, fmul, forRange, get, i32, iadd, imin, imul, madd, op, splat, vselect } from '../codegen/ops.ts';
import { indexSplit } from '../codegen/rows.ts';
import { emitPackPanels } from './gemm-pack.ts';
import { MR, type TileSpec, WIDE, dispatchRows, emitTile, emitTiles, forPanelGroups } from './gemm-tile.ts';
import { KB, softmaxBlockUpdate, writeRows } from './attention-rows.ts';

type Attention = Extract<Kernel, { kind: 'attention' }>;

const accessOf = (k: Attention, prog: ProgramCtx): AttentionAccess => attentionAccess(k, (id) => prog.shape(id));

/** A row stride in bytes: a number when every dim is known (the GEMM tile then uses immediate offsets), else a local. */
function strideBytes(ctx: KernelCtx, s: Stride, elements: Local): number | Local {
  if (s !== null && s.every((d) => typeof d === 'number')) return (s as number[]).reduce((a, b) => a * b, 4);
  return ctx.let(op('i32.shl', get(elements), i32(2)));
}

const roundUp8 = (v: Val): Val => op('i32.and', iadd(v, i32(PANEL - 1)), i32(-PANEL));

/** Scratch per thread: scores MR×KB, output tile MR×⌈dv⌉₈, and K and V of one batch·head in panels. */
export function attentionScratch(k: Attention, prog: ProgramCtx, dims: DimSource): (c: Code) => void {
  const g = accessOf(k, prog);
  const tile = iadd(i32(MR * KB * 4), imul(roundUp8(dims.dim(g.dv)), i32(MR * 4)));
  const keys = imul(roundUp8(dims.dim(g.lk)), dimProductVal(dims, [g.depth], 4));
  const values = imul(roundUp8(dims.dim(g.dv)), imul(dims.dim(g.lk), i32(4)));
  return iadd(iadd(tile, keys), values);
}

export function emitAttention(k: Attention, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const g = accessOf(k, prog);
  const [n, m, d, dv] = [g.lq, g.lk, g.depth, g.dv].map((x) => ctx.let(ctx.dim(x)));
  const dvp = ctx.let(roundUp8(get(dv)));
  const operands = [g.q, g.k, g.v, g.out, ...(g.mask ? [g.mask] : [])];
  const ids = [k.q, k.k, k.v, k.out, ...(k.mask === undefined ? [] : [k.mask])];
  const space = indexSplit(ctx, g.batch.map((x) => [x]), operands.map((o) => o.batch));
  const step = (s: Stride) => ctx.let(s === null ? i32(0) : ctx.numel(s));
  const rowStep = { q: step(g.q.row), k: step(g.k.row), v: step(g.v.row), out: step(g.out.row), mask: g.mask ? step(g.mask.row) : undefined };
  const tileStride = { q: strideBytes(ctx, g.q.row, rowStep.q), v: strideBytes(ctx, g.v.row, rowStep.v) };
  const maskAlong = g.mask ? [g.mask.row !== null, g.mask.col !== null] : [false, false];
  const bases = ids.map((id) => ctx.let(ctx.addr(id)));
  const scores = ctx.let(ctx.scratch());
  const oTile = ctx.let(iadd(get(scores), i32(MR * KB * 4)));
  const kPacked = ctx.let(iadd(get(oTile), imul(get(dvp), i32(MR * 4))));
  // V's panels follow K's: panel p's key j at at + p·stride + j·32.
  const vPacked = { at: ctx.let(iadd(get(kPacked), imul(roundUp8(get(m)), op('i32.shl', get(d), i32(2))))), stride: ctx.let(op('i32.shl', get(m), i32(5))) };
  const qTiles = ctx.let(op('i32.div_u', iadd(get(n), i32(MR - 1)), i32(MR)));
  const lastPacked = ctx.let(i32(-1));
  /** The item loop: K and V packed per batch·head (`direct` false), or read in place. */
  const items = (direct: boolean) => ctx.forEachItem(imul(ctx.numel(g.batch), get(qTiles)), (item) => {
    const bi = ctx.let(op('i32.div_u', get(item), get(qTiles)));
    const i0 = ctx.let(imul(op('i32.rem_u', get(item), get(qTiles)), i32(MR)));
    const offs = space.at(bi);
    const ptr = (o: number) => ctx.let(iadd(get(bases[o]), op('i32.shl', get(offs[o]), i32(2))));
    const [q, key, v, outAt] = [ptr(0), ptr(1), ptr(2), ptr(3)];
    const mask = k.mask === undefined ? undefined : ptr(4);
    if (!direct) {
      op('i32.ne', get(bi), get(lastPacked))(c);
      c.if(() => {
        const panels = ctx.let(op('i32.shr_u', roundUp8(get(m)), i32(3)));
        emitPackPanels(ctx, { base: key, k: d, n: m, transB: true, stride: rowStep.k }, ctx.let(i32(0)), panels, kPacked);
        emitPackPanels(ctx, { base: v, k: m, n: dv, transB: false, stride: rowStep.v }, ctx.let(i32(0)), ctx.let(op('i32.shr_u', get(dvp), i32(3))), vPacked.at);
        c.get(bi).set(lastPacked);
      });
    }
    const out = ctx.let(iadd(get(outAt), op('i32.shl', imul(get(i0), get(rowStep.out)), i32(2))));
    const left = ctx.let(op('i32.sub', get(n), get(i0)));
    const tile = (rows: number) => emitQueryTile(ctx, k, rows, { q, key: direct ? key : kPacked, direct, v, vPacked: direct ? undefined : vPacked, mask, maskAlong, rowStep, tileStride, i0, n, m, d, dv, dvp, scores, oTile, out });
    dispatchRows(c, left, tile);
  });
  // Fewer queries than a tile (a decode step): each batch·head serves one item, so packing its K
  // would cost as much as using it; the scores come from K's rows in place (depth a multiple of 4).
  if (typeof g.depth === 'number' && g.depth % 4 === 0) {
    op('i32.lt_s', get(n), i32(MR))(c);
    c.if(() => items(true), () => items(false));
  } else items(false);
}

/** Elements from one row to the next in q, k, v, the result and the mask (0 where the mask broadcasts along the queries). */
interface RowSteps { readonly q: Local; readonly k: Local; readonly v: Local; readonly out: Local; readonly mask?: Local }

export interface QueryTile {
  /** `key`: K packed in panels, or (`direct`) K's first row as stored. */
  readonly q: Local; readonly key: Local; readonly direct: boolean; readonly v: Local; readonly mask?: Local;
  /** V of this batch·head packed in panels ([⌈dv⌉₈/8][lk][8], `stride` bytes apart), when K is packed too; else V is read in place. */
  readonly vPacked?: { readonly at: Local; readonly stride: Local }; readonly maskAlong: readonly boolean[]; readonly rowStep: RowSteps;
  /** q's and v's row strides in bytes, as the GEMM tile takes them. */
  readonly tileStride: { readonly q: number | Local; readonly v: number | Local };
  readonly i0: Local; readonly n: Local; readonly m: Local; readonly d: Local; readonly dv: Local; readonly dvp: Local;
  readonly scores: Local; readonly oTile: Local; readonly out: Local;
}

/** One key block of a query tile: keys [kb0, kb0 + nk), of which `panels` panels hold scores. */
interface Block {
  readonly rows: number;
  readonly kb0: Local;
  readonly nk: Local;
  readonly panels: Local;
  readonly relaxed: boolean;
}

function emitQueryTile(ctx: KernelCtx, k: Attention, rows: number, t: QueryTile): void {
  const c = ctx.c;
  const rowIds = Array.from({ length: rows }, (_, r) => r);
  const runMax = rowIds.map(() => bind(c, 'f32', (cc) => cc.f32(-Infinity)));
  const runSum = rowIds.map(() => bind(c, 'f32', (cc) => cc.f32(0)));
  c.get(t.oTile).i32(0);
  imul(get(t.dvp), i32(rows * 4))(c);
  c.memoryFill();
  // Key j is valid for row r when j < limit[r]: j < m, and j <= i0 + r when causal.
  const limit = (r: number) => (k.causal ? imin(get(t.m), iadd(get(t.i0), i32(r + 1))) : get(t.m));
  const limits = rowIds.map((r) => bind(c, 'v128', op('i32x4.splat', limit(r))));
  // Every key is visited, causal or not: a key after the row has p = 0, and 0 · v must still be
  // NaN where v is NaN or inf, as in the reference's p @ v (and in the unfused graph it came from).
  const kEnd = ctx.let(get(t.m));
  const kb0 = c.local('i32');
  forRange(c, kb0, i32(0), get(kEnd), () => {
    const nk = ctx.let(imin(i32(KB), op('i32.sub', get(kEnd), get(kb0))));
    const block: Block = { rows, kb0, nk, panels: ctx.let(op('i32.shr_u', roundUp8(get(nk)), i32(3))), relaxed: ctx.prog.simd === 'relaxed' };
    (t.direct ? emitScoresDirect : emitScores)(ctx, k, t, block, limits);
    for (const r of rowIds) {
      softmaxBlockUpdate(ctx, { scores: t.scores, row: r, vectors: ctx.let(op('i32.shl', get(block.panels), i32(1))), oTile: t.oTile, dvp: t.dvp, runMax: runMax[r], runSum: runSum[r] });
    }
    emitWeightedValues(ctx, t, block);
  }, KB);
  writeRows(ctx, { oTile: t.oTile, dvp: t.dvp, dv: t.dv, out: t.out, outStep: t.rowStep.out, runSum, rows });
}

/** scores[r][j - kb0] = q·k·scale + mask, or -inf for keys past the row's limit (GEMM tile per key panel). */
function emitScores(ctx: KernelCtx, k: Attention, t: QueryTile, b: Block, limits: readonly Local[]): void {
  const c = ctx.c;
  const qRowStride = t.tileStride.q;
  const q = ctx.let(iadd(get(t.q), op('i32.shl', imul(get(t.i0), get(t.rowStep.q)), i32(2))));
  const pp = c.local('i32');
  forRange(c, pp, i32(0), get(b.panels), () => {
    const panel = iadd(get(t.key), imul(iadd(op('i32.shr_u', get(b.kb0), i32(3)), get(pp)), op('i32.shl', get(t.d), i32(5))));
    const acc = emitTile(c, { rows: b.rows, k: get(t.d), relaxed: b.relaxed, a: { base: get(q), rowStride: qRowStride, kStride: 4 }, b: { base: panel, kStride: PANEL * 4 } });
    acc.forEach((halves, r) => halves.forEach((a, h) => {
      storeScores(ctx, k, t, b, limits, r, ctx.let(iadd(iadd(get(b.kb0), op('i32.shl', get(pp), i32(3))), i32(4 * h))), get(a));
    }));
  });
}

/** scores[r][j - kb0 …+3] = dots·scale + mask, or -inf for keys past the row's limit. */
function storeScores(ctx: KernelCtx, k: Attention, t: QueryTile, b: Block, limits: readonly Local[], r: number, j: Local, dots: Val): void {
  const c = ctx.c;
  let s: Val = k.scale === 1 ? dots : fmul(dots, splat(k.scale));
  if (t.mask) s = op('f32x4.add', s, maskAt(ctx, t, r, j));
  const valid = op('i32x4.lt_s', op('i32x4.add', op('i32x4.splat', get(j)), (cc) => cc.i32x4(0, 1, 2, 3)), get(limits[r]));
  iadd(get(t.scores), op('i32.shl', iadd(i32(r * KB), op('i32.sub', get(j), get(b.kb0))), i32(2)))(c);
  vselect(valid, s, splat(-Infinity))(c);
  c.mem('v128.store');
}

const lanes = (ls: readonly number[]) => ls.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);

/**
 * The scores of the block's panels from K's rows as stored (no packing): four keys at a time, per
 * row four f32x4 dot products over the depth, then summed across lanes into one vector. Keys past
 * the last read the last key's row (in bounds) and are set to -inf with the others past the limit.
 */
function emitScoresDirect(ctx: KernelCtx, k: Attention, t: QueryTile, b: Block, limits: readonly Local[]): void {
  const c = ctx.c;
  const q = ctx.let(iadd(get(t.q), op('i32.shl', imul(get(t.i0), get(t.rowStep.q)), i32(2))));
  const qRow = ctx.let(op('i32.shl', get(t.rowStep.q), i32(2)));
  const kRow = ctx.let(op('i32.shl', get(t.rowStep.k), i32(2)));
  const last = ctx.let(op('i32.sub', get(t.m), i32(1)));
  const depthBytes = ctx.let(op('i32.shl', get(t.d), i32(2)));
  const j = c.local('i32');
  const at = c.local('i32');
  const qv = c.local('v128');
  forRange(c, j, get(b.kb0), iadd(get(b.kb0), op('i32.shl', get(b.panels), i32(3))), () => {
    const keys = [0, 1, 2, 3].map((i) => ctx.let(iadd(get(t.key), imul(imin(iadd(get(j), i32(i)), get(last)), get(kRow)))));
    for (let r = 0; r < b.rows; r++) {
      const qr = ctx.let(iadd(get(q), imul(i32(r), get(qRow))));
      const acc = keys.map(() => bind(c, 'v128', splat(0)));
      forRange(c, at, i32(0), get(depthBytes), () => {
        c.get(qr).get(at).op('i32.add').mem('v128.load').set(qv);
        keys.forEach((key, i) => {
          madd(b.relaxed, get(qv), (cc) => cc.get(key).get(at).op('i32.add').mem('v128.load'), get(acc[i]))(c);
          c.set(acc[i]);
        });
      }, 16);
      // [a0+a2, b0+b2, a1+a3, b1+b3] and the same for c, d; then each key's total in its lane.
      const ab = bind(c, 'v128', fadd(shuffle(get(acc[0]), get(acc[1]), [0, 4, 1, 5]), shuffle(get(acc[0]), get(acc[1]), [2, 6, 3, 7])));
      const cd = bind(c, 'v128', fadd(shuffle(get(acc[2]), get(acc[3]), [0, 4, 1, 5]), shuffle(get(acc[2]), get(acc[3]), [2, 6, 3, 7])));
      storeScores(ctx, k, t, b, limits, r, j, fadd(shuffle(get(ab), get(cd), [0, 1, 4, 5]), shuffle(get(ab), get(cd), [2, 3, 6, 7])));
    }
  }, 4);
}

/** Lanes of a (0-3) and b (4-7) picked by index. */
const shuffle = (a: Val, b: Val, pick: readonly number[]): Val => (c) => { a(c); b(c); c.shuffle(lanes(pick)); };

/**
 * oTile += P·V over the block's keys, 8 value columns per panel of V (packed with K, or read in
 * place). With fewer than MR rows a tile spans WIDE value panels, for independent accumulators
 * (gemm-tile.ts).
 */
function emitWeightedValues(ctx: KernelCtx, t: QueryTile, b: Block): void {
  const c = ctx.c;
  const wide = b.rows < MR ? WIDE[b.rows] : 1;
  const qp = c.local('i32');
  const vPanels = ctx.let(op('i32.shr_u', get(t.dvp), i32(3)));
  // Packed: panel qp's key j at vPacked + (qp·lk + j)·32. In place: V's row j, column 8·qp.
  const packed = t.vPacked;
  const vAt = (): TileSpec['b'] => (packed
    ? { base: iadd(get(packed.at), iadd(imul(get(qp), get(packed.stride)), op('i32.shl', get(b.kb0), i32(5)))), kStride: PANEL * 4, panelStride: packed.stride }
    : { base: iadd(get(t.v), op('i32.shl', iadd(imul(get(b.kb0), get(t.rowStep.v)), op('i32.shl', get(qp), i32(3))), i32(2))), kStride: t.tileStride.v, panelStride: PANEL * 4 });
  const tile = (panels: number) => {
    const oAt = (r: number, h: number, q: number): Val => iadd(get(t.oTile), iadd(op('i32.shl', imul(i32(r), get(t.dvp)), i32(2)), iadd(op('i32.shl', get(qp), i32(5)), i32(32 * q + 16 * h))));
    const acc = emitTiles(c, {
      rows: b.rows, panels, k: get(b.nk), relaxed: b.relaxed, init: (r, h, q) => (cc) => { oAt(r, h, q)(cc); cc.mem('v128.load'); },
      a: { base: get(t.scores), rowStride: KB * 4, kStride: 4 }, b: vAt(),
    });
    acc.forEach((rows, q) => rows.forEach((halves, r) => halves.forEach((a, h) => { oAt(r, h, q)(c); c.get(a).mem('v128.store'); })));
  };
  forPanelGroups(c, qp, i32(0), vPanels, wide, tile);
}

/** The mask at (row i0 + r, keys j..j+3), broadcast as its shape says. */
function maskAt(ctx: KernelCtx, t: QueryTile, r: number, j: Local): Val {
  const [alongN, alongM] = t.maskAlong;
  const row = alongN ? imul(iadd(get(t.i0), i32(r)), get(t.rowStep.mask!)) : i32(0);
  const col = alongM ? get(j) : i32(0);
  const address = iadd(get(t.mask!), op('i32.shl', iadd(row, col), i32(2)));
  return (c) => { address(c); c.mem(alongM ? 'v128.load' : 'v128.load32_splat'); };
}
