// Runtime side of the GEMM in emitted JS modules: the register tile size, B packed into panels of
// GEMM_NR columns (doubles, zero padded) so the micro-kernel streams it linearly, and the geometry
// (row tables for A and the epilogue operands) computed once per set of symbol values. The
// micro-kernel itself is generated per epilogue (js/templates.ts).

import { type Shape, colStride, matrixOffsets, numel, offsetTable, rowMajor, alignedStrides, rowOffsets } from './geometry.ts';

/** Rows and columns of the register tile: GEMM_MR × GEMM_NR accumulators in locals. */
export const GEMM_MR = 4;
export const GEMM_NR = 4;

export interface GemmGeometry {
  /** Batches with their own B matrix (1 when B has no batch: all rows of A form one tall matrix). */
  readonly batches: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Start of each row of A (over batch × m) and the step along its depth (1, or m when transposed). */
  readonly aRows: Int32Array;
  readonly aStep: number;
  /** Which packed B matrix each batch uses. */
  readonly bMats: Int32Array;
  /** How many B matrices there are, and whether B is transposed (for packing). */
  readonly bCount: number;
  readonly transB: boolean;
  /** Rows and column steps of the epilogue operands, read at the output index with broadcasting. */
  readonly extraRows: readonly Int32Array[];
  readonly extraCols: readonly number[];
  /** Scratch: GEMM_MR rows of A interleaved by depth, and one tile rounded to f32. */
  readonly aPanel: Float64Array;
  readonly tile: Float32Array;
  /** Scratch for B packed at run time (B computed by the forward pass), else empty. */
  readonly packed: Float64Array;
}

export function gemmGeometry(
  a: Shape, b: Shape, out: Shape, transA: boolean, transB: boolean, extras: readonly Shape[], packAtRun: boolean,
): GemmGeometry {
  const rank = out.length;
  const [m, n] = [out[rank - 2], out[rank - 1]];
  const k = transA ? a[a.length - 2] : a[a.length - 1];
  const outBatch = out.slice(0, -2);
  const rows = out.slice(0, -1);
  const bCount = numel(b.slice(0, -2));
  const aBatch = alignedStrides(a.slice(0, -2), rowMajor(a).slice(0, -2), outBatch.length);
  const tall = bCount === 1;
  return {
    batches: tall ? 1 : numel(outBatch), m: tall ? numel(rows) : m, n, k,
    aRows: offsetTable(rows, [...aBatch, transA ? 1 : k]), aStep: transA ? m : 1,
    bMats: tall ? new Int32Array(1) : matrixOffsets(outBatch, b), bCount, transB,
    extraRows: extras.map((s) => rowOffsets(rows, s)), extraCols: extras.map(colStride),
    aPanel: new Float64Array(GEMM_MR * k), tile: new Float32Array(GEMM_MR * GEMM_NR),
    packed: new Float64Array(packAtRun ? packedLength(bCount, k, n) : 0),
  };
}

export function packedLength(count: number, k: number, n: number): number {
  return count * Math.ceil(n / GEMM_NR) * k * GEMM_NR;
}

/** Pack `count` matrices B (k × n, or n × k when transposed) into panels: [matrix][panel][depth][GEMM_NR]. */
export function packB(b: ArrayLike<number>, count: number, k: number, n: number, transB: boolean, into: Float64Array): Float64Array {
  const panels = Math.ceil(n / GEMM_NR);
  const [sk, sn] = transB ? [1, k] : [n, 1];
  let q = 0;
  for (let mat = 0; mat < count; mat++) {
    const base = mat * k * n;
    for (let jp = 0; jp < panels; jp++) {
      for (let p = 0; p < k; p++) {
        for (let c = 0; c < GEMM_NR; c++) {
          const j = jp * GEMM_NR + c;
          into[q++] = j < n ? b[base + p * sk + j * sn] : 0;
        }
      }
    }
  }
  return into;
}

/** Pack a load-time B once (weights, constants, derived buffers). */
export function packWeight(b: ArrayLike<number>, shape: Shape, transB: boolean): Float64Array {
  const r = shape.length;
  const [k, n] = transB ? [shape[r - 1], shape[r - 2]] : [shape[r - 2], shape[r - 1]];
  const count = numel(shape.slice(0, -2));
  return packB(b, count, k, n, transB, new Float64Array(packedLength(count, k, n)));
}
