// The GEMM register tile shared by matmul and attention: MR rows × 8 columns of f32 accumulators
// (two f32x4 per row; 4×8 uses 8 of x86's 16 vector registers, plus 2 for B and 1 for the
// splatted A element). Per k step: two loads of a packed B row, one load-splat of A per row,
// 2·MR multiply-adds (fused with relaxed SIMD). The k loop is not unrolled: V8 hoists the loads
// of an unrolled body ahead of the arithmetic and spills; one step per iteration keeps all
// accumulators in registers. With constant strides one A pointer serves every row through
// immediate offsets. A tile can also span several panels (`panels`, for fewer than MR rows: a
// decode step's GEMV): each panel has its own B pointer, every row's A element is splatted once
// per k step and serves all of them. One row against one panel is two chains of dependent
// multiply-adds reading one stream; four panels give eight independent chains over four
// streams, which brings a GEMV closer to the memory's bandwidth (1.2-1.6× the one-panel rate on
// the bench's machine). Each accumulator still sums its k steps in order, so the result is bit
// for bit the one-panel tile's. Quantized B panels (weightsDtype) dequantize as they load: int8
// widens to two f32x4 (the column scales multiply the accumulators afterwards, in matmul.ts); f16
// widens each half's bits into f32 bits (sign kept, exponent and mantissa shifted) and multiplies
// by 2^112 to rebias the exponent, exact for normal and subnormal halves (weights are finite).

import type { WeightsDType } from '@smelt/compiler';
import type { Code, Local } from '../encoder/code.ts';
import { type Val, bind, forRange, get, i32, iadd, imul, madd, op } from '../codegen/ops.ts';

export const MR = 4;

/**
 * Panels per tile for 1, 2, 3 rows (fewer than MR): 8 to 12 accumulators, no spills. On the bench's
 * machine 4 panels for one row beat 8 (16 accumulators: V8 spills) and 1, interleaved in one process.
 */
export const WIDE = [0, 4, 2, 2];

export type Stride = number | Local;

export interface TileSpec {
  /** Rows in this tile (1..MR). */
  readonly rows: number;
  /** A element (row r, step k) at base + r·rowStride + k·kStride (bytes). */
  readonly a: { readonly base: Val; readonly rowStride: Stride; readonly kStride: Stride };
  /** Eight B values of step k at base + k·kStride (bytes): f32 (two f32x4 at +0 and +16) or f16 bits; panel q's at + q·panelStride. */
  readonly b: { readonly base: Val; readonly kStride: Stride; readonly dtype?: WeightsDType; readonly panelStride?: Stride };
  /** Panels side by side (1 when absent; more need b.panelStride). */
  readonly panels?: number;
  /** Number of k steps. */
  readonly k: Val;
  /** Initial accumulator (row, half, panel); zero when absent. */
  readonly init?: (r: number, h: number, q: number) => Val;
  readonly relaxed: boolean;
}

const strideVal = (s: Stride): Val => (typeof s === 'number' ? i32(s) : get(s));

/** Emit the k loop of one single-panel tile; returns the accumulators acc[row][half]. */
export function emitTile(c: Code, t: TileSpec): Local[][] {
  return emitTiles(c, { ...t, panels: 1 })[0];
}

/** Emit the k loop of a tile over t.panels panels; returns the accumulators acc[panel][row][half]. */
export function emitTiles(c: Code, t: TileSpec): Local[][][] {
  const panels = t.panels ?? 1;
  if (panels > 1 && t.b.panelStride === undefined) throw new Error('internal: a tile over several panels needs b.panelStride');
  const acc = Array.from({ length: panels }, (_, q) => Array.from({ length: t.rows }, (_, r) => [0, 1].map((h) => bind(c, 'v128', t.init?.(r, h, q) ?? ((cc) => cc.f32x4(0))))));
  const constant = typeof t.a.rowStride === 'number' && typeof t.a.kStride === 'number' && typeof t.b.kStride === 'number';
  // One A pointer with immediate row offsets when strides are constant; one pointer per row otherwise.
  const aBase = bind(c, 'i32', t.a.base);
  const aPtrs = constant ? [aBase] : acc[0].map((_, r) => bind(c, 'i32', iadd(get(aBase), imul(i32(r), strideVal(t.a.rowStride)))));
  const bBase = bind(c, 'i32', t.b.base);
  const bPtrs = acc.map((_, q) => (q === 0 ? bBase : bind(c, 'i32', iadd(get(bBase), imul(i32(q), strideVal(t.b.panelStride!))))));
  const left = bind(c, 'i32', t.k);
  const bv = [c.local('v128'), c.local('v128')];
  // One splat per row when several panels share it; one local reused row by row otherwise.
  const av = panels > 1 ? acc[0].map(() => c.local('v128')) : [c.local('v128')];
  const loads = bLoaders(c, t.b.dtype ?? 'f32', bPtrs, bv);
  const splatRow = (r: number, into: Local) => {
    c.get(constant ? aBase : aPtrs[r]).mem('v128.load32_splat', constant ? r * (t.a.rowStride as number) : 0).set(into);
  };
  c.get(left).i32(0).op('i32.gt_s').if(() => c.loop((top) => {
    if (panels > 1) acc[0].forEach((_, r) => splatRow(r, av[r]));
    acc.forEach((rows, q) => {
      loads[q]();
      rows.forEach((row, r) => {
        if (panels === 1) splatRow(r, av[0]);
        row.forEach((l, h) => {
          madd(t.relaxed, get(av[panels > 1 ? r : 0]), get(bv[h]), get(l))(c);
          c.set(l);
        });
      });
    });
    for (const p of aPtrs) {
      iadd(get(p), strideVal(t.a.kStride))(c);
      c.set(p);
    }
    for (const p of bPtrs) {
      iadd(get(p), strideVal(t.b.kStride))(c);
      c.set(p);
    }
    c.get(left).i32(1).op('i32.sub').tee(left).i32(0).op('i32.gt_s').brIf(top);
  }));
  return acc;
}

/** Code that sets bv[0], bv[1] to the eight f32 B values at bPtr (constants it needs set up front). */
export function bLoader(c: Code, dtype: WeightsDType, bPtr: Local, bv: Local[]): () => void {
  return bLoaders(c, dtype, [bPtr], bv)[0];
}

/** One loader per pointer (as bLoader), sharing the constants they need. */
function bLoaders(c: Code, dtype: WeightsDType, bPtrs: readonly Local[], bv: Local[]): (() => void)[] {
  switch (dtype) {
    case 'f32':
      return bPtrs.map((bPtr) => () => {
        c.get(bPtr).mem('v128.load').set(bv[0]);
        c.get(bPtr).mem('v128.load', 16).set(bv[1]);
      });
    case 'int8':
      throw new Error('internal: int8 panels are read by the integer tile (gemm-int8.ts), not the f32 one');
    case 'f16': {
      const keep = bind(c, 'v128', (cc) => cc.i32(0x8fffffff | 0).op('i32x4.splat'));
      const rebias = bind(c, 'v128', (cc) => cc.f32(2 ** 112).op('f32x4.splat'));
      return bPtrs.map((bPtr) => () => bv.forEach((l, h) => {
        // sign-extended bits << 13: the sign fills bits 28-31; keep bit 31, exponent and mantissa.
        c.get(bPtr).mem('v128.load16x4_s', 8 * h).i32(13).op('i32x4.shl');
        c.get(keep).op('v128.and').get(rebias).op('f32x4.mul').set(l);
      }));
    }
    default:
      return dtype satisfies never;
  }
}

/** Emit the tile for min(MR, left) rows: the full tile, else one variant per remainder. */
export function dispatchRows(c: Code, left: Local, tile: (rows: number) => void): void {
  const chain = (mr: number): void => {
    if (mr === 1) return tile(1);
    op(mr === MR ? 'i32.ge_s' : 'i32.eq', get(left), i32(mr))(c);
    c.if(() => tile(mr), () => chain(mr - 1));
  };
  chain(MR);
}

/** For panels p over [from, to): body(n) on groups of n = `wide` panels from p, then on single panels. */
export function forPanelGroups(c: Code, p: Local, from: Val, to: Local, wide: number, body: (panels: number) => void): void {
  from(c);
  c.set(p);
  if (wide > 1) {
    const fullEnd = bind(c, 'i32', op('i32.sub', get(to), i32(wide - 1)));
    c.block((done) => c.loop((top) => {
      op('i32.ge_s', get(p), get(fullEnd))(c);
      c.brIf(done);
      body(wide);
      iadd(get(p), i32(wide))(c);
      c.set(p);
      c.br(top);
    }));
  }
  forRange(c, p, get(p), get(to), () => body(1));
}
