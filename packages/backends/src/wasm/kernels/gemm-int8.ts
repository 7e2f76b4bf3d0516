// int8 weight panels and the integer tile that reads them. Layout: panels of 8 columns as for f32,
// but with the k steps in pairs, [ceil(n/8)][kp/2][8][2] signed bytes (kp = k rounded up to even,
// the padding step zero): 16 bytes hold two k steps of eight columns, column j's two bytes side by
// side. A work item first quantizes its A rows (at most QUANT_ROWS, matmul's row chunk) to int16,
// per row symmetric (s_a = max |a| / L, q = nearest(a / s_a)), and the tile multiplies integers:
// i16x8.extend_{low,high}_i8x16_s widen a 16-byte load into two vectors of four columns × two
// steps, v128.load32_splat of a row's two int16 steps lines up with them, and i32x4.dot_i16x8_s
// sums each column's two products into exact i32 accumulators. Per pair of k steps a 4-row tile
// issues 23 instructions for 64 multiply-adds, where the f32 tile issues 28 with relaxed SIMD's
// fused multiply-add (44 without), and dequantizing first costs a pass more: a forward's many rows
// run on integers as well as a decode step's GEMV. L, the largest |q|, is chosen per matrix so
// that no sum can overflow: kp · 127 · L < 2^31 (L = 32767 up to k = 516, 8255 at k = 2048, 257 at
// the longest reduction taken, INT8_INTEGER_MAX_K). The sums become f32 once, times s_a and the
// column scales. Longer reductions dequantize the panels to f32 into scratch
// (`emitDequantizeInt8Panels`) and the f32 tile runs.

import type { Code, Local } from '../encoder/code.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { PANEL, int8Steps } from '../codegen/memory-map.ts';
import { type Val, bind, forRange, get, i32, iadd, imul, op } from '../codegen/ops.ts';
import type { Stride } from './gemm-tile.ts';

/** Longest reduction the integer tile takes (L stays above 255); longer ones dequantize to f32 scratch. */
export const INT8_INTEGER_MAX_K = 1 << 16;

/** Largest |q| of a quantized activation for reduction length k: kp · 127 · L stays below 2^31. */
export function activationLimit(k: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (int8Steps(k) * 127)) - 1);
}

/** Index in the packed bytes of panel q, step kk, column jj (kp = int8Steps(k)). */
export const int8PanelIndex = (q: number, kp: number, kk: number, jj: number): number => (q * kp + (kk & ~1)) * PANEL + jj * 2 + (kk & 1);

/** Most rows quantized at once: a matmul work item's row chunk. */
export const QUANT_ROWS = 64;
/** Quantized rows: QUANT_ROWS f32 scales, then each row's kp int16 steps (in matmul's per-thread scratch). */
export const QUANT_SCALE_BYTES = QUANT_ROWS * 4;
export const quantRowBytes = (k: number): number => int8Steps(k) * 2;
/** Bytes of QUANT_ROWS quantized rows of k steps, scales included. */
export const quantBytes = (k: number): number => QUANT_SCALE_BYTES + QUANT_ROWS * quantRowBytes(k);

export interface QuantizeSource {
  /** Address of row 0's first element; element (r, kk) at + r·rowStride + kk·kStride bytes. */
  readonly a: Local;
  readonly rows: Local;
  readonly k: number;
  readonly rowStride: Stride;
  readonly kStride: Stride;
}

const strideVal = (s: Stride): Val => (typeof s === 'number' ? i32(s) : get(s));
const advance = (c: Code, p: Local, by: Val) => { iadd(get(p), by)(c); c.set(p); };

/**
 * Emit: quantize `src`'s rows to int16 at `dst` (layout above). A row of zeros has scale 0; a NaN
 * or an infinity makes its row's scale NaN or infinite, and the row's outputs NaN (f32 gives NaN
 * or ±∞ there).
 */
export function emitQuantizeRows(ctx: KernelCtx, src: QuantizeSource, dst: Local): void {
  const c = ctx.c;
  const limit = activationLimit(src.k);
  const vector = src.kStride === 4 && src.k % 8 === 0;
  const r = c.local('i32');
  forRange(c, r, i32(0), get(src.rows), () => {
    const row = ctx.let(iadd(get(src.a), imul(get(r), strideVal(src.rowStride))));
    const max = vector ? vectorMax(ctx, row, src.k) : scalarMax(ctx, row, src);
    iadd(get(dst), op('i32.shl', get(r), i32(2)))(c);
    c.get(max).f32(limit).op('f32.div').mem('f32.store');
    const inv = bind(c, 'f32', (cc) => { cc.f32(limit).get(max).op('f32.div').f32(0).get(max).f32(0).op('f32.gt', 'select'); });
    const out = ctx.let(iadd(get(dst), iadd(i32(QUANT_SCALE_BYTES), imul(get(r), i32(quantRowBytes(src.k))))));
    if (vector) vectorQuantize(ctx, row, out, inv, src.k);
    else scalarQuantize(ctx, row, out, inv, src);
  });
}

function scalarMax(ctx: KernelCtx, row: Local, src: QuantizeSource): Local {
  const c = ctx.c;
  const max = bind(c, 'f32', (cc) => cc.f32(0));
  const p = ctx.let(get(row));
  const kk = c.local('i32');
  forRange(c, kk, i32(0), i32(src.k), () => {
    c.get(max).get(p).mem('f32.load').op('f32.abs', 'f32.max').set(max);
    advance(c, p, strideVal(src.kStride));
  });
  return max;
}

function scalarQuantize(ctx: KernelCtx, row: Local, out: Local, inv: Local, src: QuantizeSource): void {
  const c = ctx.c;
  const [p, q] = [ctx.let(get(row)), ctx.let(get(out))];
  const kk = c.local('i32');
  forRange(c, kk, i32(0), i32(src.k), () => {
    c.get(q).get(p).mem('f32.load').get(inv).op('f32.mul', 'f32.nearest', 'i32.trunc_sat_f32_s').mem('i32.store16');
    advance(c, p, strideVal(src.kStride));
    advance(c, q, i32(2));
  });
  if (src.k % 2 === 1) c.get(q).i32(0).mem('i32.store16');
}

function vectorMax(ctx: KernelCtx, row: Local, k: number): Local {
  const c = ctx.c;
  const m = bind(c, 'v128', (cc) => cc.f32x4(0));
  const p = ctx.let(get(row));
  const kk = c.local('i32');
  forRange(c, kk, i32(0), i32(k / 4), () => {
    c.get(m).get(p).mem('v128.load').op('f32x4.abs', 'f32x4.max').set(m);
    advance(c, p, i32(16));
  });
  // f32x4.max propagates NaN, so a NaN anywhere reaches the row's maximum.
  return bind(c, 'f32', (cc) => {
    for (let lane = 0; lane < 4; lane++) cc.get(m).lane('f32x4.extract_lane', lane);
    cc.op('f32.max', 'f32.max', 'f32.max');
  });
}

function vectorQuantize(ctx: KernelCtx, row: Local, out: Local, inv: Local, k: number): void {
  const c = ctx.c;
  const scale = bind(c, 'v128', (cc) => cc.get(inv).op('f32x4.splat'));
  const [p, q] = [ctx.let(get(row)), ctx.let(get(out))];
  const kk = c.local('i32');
  forRange(c, kk, i32(0), i32(k / 8), () => {
    c.get(q);
    for (const half of [0, 16]) c.get(p).mem('v128.load', half).get(scale).op('f32x4.mul', 'f32x4.nearest', 'i32x4.trunc_sat_f32x4_s');
    c.op('i16x8.narrow_i32x4_s').mem('v128.store');
    advance(c, p, i32(32));
    advance(c, q, i32(16));
  });
}

export interface Int8TileSpec {
  readonly rows: number;
  readonly panels: number;
  /** Address of the tile's first quantized row; the next rows `rowBytes` apart. */
  readonly a: Val;
  readonly rowBytes: number;
  /** Address of the tile's first row scale (f32, the next rows 4 bytes apart). */
  readonly scales: Val;
  /** Address of the first panel's first pair; panel q's at + q·panelStride. */
  readonly b: Val;
  readonly panelStride: Stride;
  /** Pairs of k steps. */
  readonly pairs: number;
}

/** Emit the integer k loop over t.panels panels; returns f32 accumulators acc[panel][row][half], times the row scales (not yet the column scales). */
export function emitInt8Tiles(c: Code, t: Int8TileSpec): Local[][][] {
  const acc = Array.from({ length: t.panels }, () => Array.from({ length: t.rows }, () => [0, 1].map(() => bind(c, 'v128', (cc) => cc.i32x4(0)))));
  const aPtr = bind(c, 'i32', t.a);
  const bBase = bind(c, 'i32', t.b);
  const bPtrs = acc.map((_, q) => (q === 0 ? bBase : bind(c, 'i32', iadd(get(bBase), imul(i32(q), strideVal(t.panelStride))))));
  const left = bind(c, 'i32', i32(t.pairs));
  const av = acc[0].map(() => c.local('v128'));
  const [raw, wide] = [c.local('v128'), [c.local('v128'), c.local('v128')]];
  c.loop((top) => {
    av.forEach((l, r) => { c.get(aPtr).mem('v128.load32_splat', r * t.rowBytes).set(l); });
    acc.forEach((rows, q) => {
      c.get(bPtrs[q]).mem('v128.load').set(raw);
      c.get(raw).op('i16x8.extend_low_i8x16_s').set(wide[0]);
      c.get(raw).op('i16x8.extend_high_i8x16_s').set(wide[1]);
      rows.forEach((row, r) => row.forEach((l, h) => {
        c.get(l).get(wide[h]).get(av[r]).op('i32x4.dot_i16x8_s', 'i32x4.add').set(l);
      }));
    });
    advance(c, aPtr, i32(4));
    for (const p of bPtrs) advance(c, p, i32(2 * PANEL));
    c.get(left).i32(1).op('i32.sub').tee(left).i32(0).op('i32.gt_s').brIf(top);
  });
  const scales = bind(c, 'i32', t.scales);
  acc[0].forEach((_, r) => {
    const s = bind(c, 'v128', (cc) => cc.get(scales).mem('v128.load32_splat', 4 * r));
    for (const rows of acc) for (const l of rows[r]) c.get(l).op('f32x4.convert_i32x4_s').get(s).op('f32x4.mul').set(l);
  });
  return acc;
}

/** Emit: dequantize int8 panels [p0, p1) of k steps (pair layout, column scales applied) into f32 panels [k][8] at `dst`. */
export function emitDequantizeInt8Panels(ctx: KernelCtx, panels: { readonly address: number; readonly scales: number; readonly k: number }, p0: Local, p1: Local, dst: Local): void {
  const c = ctx.c;
  const kp = int8Steps(panels.k);
  const p = c.local('i32');
  const scale = [c.local('v128'), c.local('v128')];
  const [raw, step] = [c.local('v128'), c.local('v128')];
  // Byte lanes 0, 2, …, 14 (step 0 of columns 0-7), then 1, 3, …, 15 (step 1).
  const deinterleave = [...Array.from({ length: 8 }, (_, j) => 2 * j), ...Array.from({ length: 8 }, (_, j) => 2 * j + 1)];
  const to = c.local('i32');
  const from = c.local('i32');
  const storeStep = (half: 'i16x8.extend_low_i8x16_s' | 'i16x8.extend_high_i8x16_s', offset: number) => {
    c.get(raw).op(half).set(step);
    [0, 1].forEach((h) => {
      c.get(to).get(step).op(h === 0 ? 'i32x4.extend_low_i16x8_s' : 'i32x4.extend_high_i16x8_s', 'f32x4.convert_i32x4_s');
      c.get(scale[h]).op('f32x4.mul').mem('v128.store', offset + 16 * h);
    });
  };
  forRange(c, p, get(p0), get(p1), () => {
    scale.forEach((l, h) => { imul(get(p), i32(PANEL * 4))(c); c.mem('v128.load', panels.scales + 16 * h).set(l); });
    iadd(i32(panels.address), imul(get(p), i32(kp * PANEL)))(c);
    c.set(from);
    iadd(get(dst), imul(op('i32.sub', get(p), get(p0)), i32(panels.k * PANEL * 4)))(c);
    c.set(to);
    const pair = c.local('i32');
    const load = () => {
      c.get(from).mem('v128.load').set(raw);
      c.get(raw).get(raw).shuffle(deinterleave).set(raw);
    };
    forRange(c, pair, i32(0), i32(panels.k >> 1), () => {
      load();
      storeStep('i16x8.extend_low_i8x16_s', 0);
      storeStep('i16x8.extend_high_i8x16_s', 4 * PANEL);
      advance(c, from, i32(2 * PANEL));
      advance(c, to, i32(8 * PANEL));
    });
    if (panels.k % 2 === 1) {
      load();
      storeStep('i16x8.extend_low_i8x16_s', 0);
    }
  });
}
