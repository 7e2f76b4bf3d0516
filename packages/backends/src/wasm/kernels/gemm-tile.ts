// The GEMM register tile shared by matmul and attention: MR rows × 8 columns of f32 accumulators
// (two f32x4 per row; 4×8 uses 8 of x86's 16 vector registers, plus 2 for B and 1 for the
// splatted A element). Per k step: two loads of a packed B row, one load-splat of A per row,
// 2·MR multiply-adds (fused with relaxed SIMD). The k loop is not unrolled: V8 hoists the loads
// of an unrolled body ahead of the arithmetic and spills; one step per iteration keeps all
// accumulators in registers. With constant strides one A pointer serves every row through
// immediate offsets. Quantized B panels (weightsDtype) dequantize as they load: int8 widens to
// two f32x4 (the column scales multiply the accumulators afterwards, in matmul.ts); f16 widens
// each half's bits into f32 bits (sign kept, exponent and mantissa shifted) and multiplies by
// 2^112 to rebias the exponent, exact for normal and subnormal halves (weights are finite).

import type { WeightsDType } from '@smelt/compiler';
import type { Code, Local } from '../encoder/code.ts';
import { type Val, bind, get, i32, iadd, imul, madd, op } from '../codegen/ops.ts';

export const MR = 4;

export type Stride = number | Local;

export interface TileSpec {
  /** Rows in this tile (1..MR). */
  readonly rows: number;
  /** A element (row r, step k) at base + r·rowStride + k·kStride (bytes). */
  readonly a: { readonly base: Val; readonly rowStride: Stride; readonly kStride: Stride };
  /** Eight B values of step k at base + k·kStride (bytes): f32 (two f32x4 at +0 and +16), int8 or f16 bits. */
  readonly b: { readonly base: Val; readonly kStride: Stride; readonly dtype?: WeightsDType };
  /** Number of k steps. */
  readonly k: Val;
  /** Initial accumulator (row, half); zero when absent. */
  readonly init?: (r: number, h: number) => Val;
  readonly relaxed: boolean;
}

const strideVal = (s: Stride): Val => (typeof s === 'number' ? i32(s) : get(s));

/** Emit the k loop of one tile; returns the accumulators acc[row][half]. */
export function emitTile(c: Code, t: TileSpec): Local[][] {
  const acc = Array.from({ length: t.rows }, (_, r) => [0, 1].map((h) => bind(c, 'v128', t.init?.(r, h) ?? ((cc) => cc.f32x4(0)))));
  const constant = typeof t.a.rowStride === 'number' && typeof t.a.kStride === 'number' && typeof t.b.kStride === 'number';
  // One A pointer with immediate row offsets when strides are constant; one pointer per row otherwise.
  const aBase = bind(c, 'i32', t.a.base);
  const aPtrs = constant ? [aBase] : acc.map((_, r) => bind(c, 'i32', iadd(get(aBase), imul(i32(r), strideVal(t.a.rowStride)))));
  const bPtr = bind(c, 'i32', t.b.base);
  const left = bind(c, 'i32', t.k);
  const bv = [c.local('v128'), c.local('v128')];
  const av = c.local('v128');
  const loadB = bLoader(c, t.b.dtype ?? 'f32', bPtr, bv);
  c.get(left).i32(0).op('i32.gt_s').if(() => c.loop((top) => {
    loadB();
    acc.forEach((row, r) => {
      c.get(constant ? aBase : aPtrs[r]).mem('v128.load32_splat', constant ? r * (t.a.rowStride as number) : 0).set(av);
      row.forEach((l, h) => {
        madd(t.relaxed, get(av), get(bv[h]), get(l))(c);
        c.set(l);
      });
    });
    for (const p of aPtrs) {
      iadd(get(p), strideVal(t.a.kStride))(c);
      c.set(p);
    }
    iadd(get(bPtr), strideVal(t.b.kStride))(c);
    c.set(bPtr);
    c.get(left).i32(1).op('i32.sub').tee(left).i32(0).op('i32.gt_s').brIf(top);
  }));
  return acc;
}

/** Code that sets bv[0], bv[1] to the eight f32 B values at bPtr (constants it needs set up front). */
export function bLoader(c: Code, dtype: WeightsDType, bPtr: Local, bv: Local[]): () => void {
  switch (dtype) {
    case 'f32':
      return () => {
        c.get(bPtr).mem('v128.load').set(bv[0]);
        c.get(bPtr).mem('v128.load', 16).set(bv[1]);
      };
    case 'int8': {
      const wide = c.local('v128');
      return () => {
        c.get(bPtr).mem('v128.load8x8_s').set(wide);
        c.get(wide).op('i32x4.extend_low_i16x8_s').op('f32x4.convert_i32x4_s').set(bv[0]);
        c.get(wide).op('i32x4.extend_high_i16x8_s').op('f32x4.convert_i32x4_s').set(bv[1]);
      };
    }
    case 'f16': {
      const keep = bind(c, 'v128', (cc) => cc.i32(0x8fffffff | 0).op('i32x4.splat'));
      const rebias = bind(c, 'v128', (cc) => cc.f32(2 ** 112).op('f32x4.splat'));
      return () => bv.forEach((l, h) => {
        // sign-extended bits << 13: the sign fills bits 28-31; keep bit 31, exponent and mantissa.
        c.get(bPtr).mem('v128.load16x4_s', 8 * h).i32(13).op('i32x4.shl');
        c.get(keep).op('v128.and').get(rebias).op('f32x4.mul').set(l);
      });
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
