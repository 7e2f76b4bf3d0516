// Runtime side of the GEMM in emitted JS modules: the register tile size, B packed into panels of
// GEMM_NR columns (doubles, zero padded) so the micro-kernel streams it linearly, and the geometry
// (row tables for A and the epilogue operands) computed once per set of symbol values. The
// micro-kernel itself is generated per epilogue (js/templates.ts).
//
// All panels of B are one array (so a large B lives in V8's large-object space: packing it at load
// costs no young-generation copying), and A is copied into panels interleaved the same way, so
// the micro-kernel walks both in step: the tile is square, depth step q is at [q * GEMM_NR + c] of
// the B panel and at [q * GEMM_MR + r] of the A panel. A row block of A panels stays in cache while
// the B panels stream past. The tile is small and the loop does GEMM_UNROLL depth steps per
// iteration: V8 re-checks each array (map, length) once per iteration and keeps 4 accumulators and
// the operands of 3 steps in registers, while larger tiles (3 × 3, 4 × 4) spill accumulators to the
// stack on every step; measured on V8 11 (Node 20), 2 × 2 × 3 beats 3 × 3 by about a tenth and 4 × 4
// by more.
//
// Panels are plain arrays of doubles (V8's PACKED_DOUBLE_ELEMENTS: unboxed, bounds-checked like a
// typed array) rather than Float64Arrays: once any ArrayBuffer in the process has been detached
// (a WebAssembly memory that grows does it, e.g. a module lexer of a dev tool), V8 adds a detached
// check to every typed-array access, which costs the micro-kernel about a fifth of its speed.

import { type Shape, colStride, doubles, matrixOffsets, numel, offsetTable, rowMajor, alignedStrides, rowOffsets } from './geometry.ts';

/** Rows and columns of the register tile: GEMM_MR × GEMM_NR accumulators in locals (equal: see above; packB writes a panel as a pair of columns). */
export const GEMM_MR = 2;
export const GEMM_NR = 2;
/** Depth steps per iteration of the micro-kernel loop. */
export const GEMM_UNROLL = 3;

/** How many doubles of A a row block holds at most (128 KiB: within a core's L2 cache). */
const A_BLOCK_DOUBLES = 16384;

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

/** Packed B: every matrix's panels of k × GEMM_NR doubles in one array, in order: matrix, panel, depth, column. */
export type Panels = number[];

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
  /** Rows of A packed at a time (a multiple of GEMM_MR): their panels stay in cache while every B panel passes. */
  readonly rowBlock: number;
  /** Scratch (doubles): the panels of a row block, GEMM_MR rows of A each, interleaved by depth; one tile of sums. */
  readonly aPanels: readonly number[][];
  readonly tile: number[];
  /** Scratch for B packed at run time (B computed by the forward pass), else no panels. */
  readonly packed: Panels;
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
  const rowsOfA = tall ? numel(rows) : m;
  const rowBlock = Math.min(roundUp(rowsOfA, GEMM_MR), Math.max(1, Math.floor(A_BLOCK_DOUBLES / (GEMM_MR * Math.max(k, 1)))) * GEMM_MR);
  const aPanels: number[][] = [];
  for (let i = 0; i < rowBlock; i += GEMM_MR) aPanels.push(doubles(GEMM_MR * k));
  return {
    batches: tall ? 1 : numel(outBatch), m: rowsOfA, n, k, rowBlock,
    aRows: offsetTable(rows, [...aBatch, transA ? 1 : k]), aStep: transA ? m : 1,
    bMats: tall ? new Int32Array(1) : matrixOffsets(outBatch, b), bCount, transB,
    extraRows: extras.map((s) => rowOffsets(rows, s)), extraCols: extras.map(colStride),
    aPanels, tile: doubles(GEMM_MR * GEMM_NR),
    packed: packAtRun ? newPanels(bCount, k, n) : [],
  };
}

/** Zeroed panels for `count` matrices B of k × n. */
export function newPanels(count: number, k: number, n: number): Panels {
  return doubles(count * Math.ceil(n / GEMM_NR) * k * GEMM_NR);
}

/** Columns f0 and f1 of B (k long, `step` apart along the depth) into one panel from `to`, interleaved. */
function packPair(b: ArrayLike<number>, f0: number, f1: number, step: number, k: number, into: Panels, to: number): void {
  for (let p = 0; p < k; p++, f0 += step, f1 += step, to += 2) {
    into[to] = b[f0];
    into[to + 1] = b[f1];
  }
}

/** The last column of an odd B into its panel's first slot from `to`; the other slot stays zero. */
function packColumn(b: ArrayLike<number>, from: number, step: number, k: number, into: Panels, to: number): void {
  for (let p = 0; p < k; p++, from += step, to += 2) into[to] = b[from];
}

/**
 * Pack `count` matrices B (k × n, or n × k when transposed), starting at element `at` of `b`, into
 * zeroed panels [matrix][panel][depth][GEMM_NR]: a panel (GEMM_NR is 2) is a pair of columns
 * written in one sequential pass; past n the slots stay zero. The loops over depth are small
 * functions of their own: called thousands of times, they are optimized as functions after a few
 * calls, where one loop nest would run interpreted until on-stack replacement (and deoptimize
 * when the outer loops first finish), a cost every fresh module pays at load.
 */
export function packB(b: ArrayLike<number>, count: number, k: number, n: number, transB: boolean, into: Panels, at = 0): Panels {
  const sk = transB ? 1 : n;
  const sn = transB ? k : 1;
  let q = 0;
  for (let mat = 0; mat < count; mat++) {
    const base = at + mat * k * n;
    for (let j0 = 0; j0 < n; j0 += GEMM_NR, q += k * GEMM_NR) {
      if (j0 + 1 < n) packPair(b, base + j0 * sn, base + (j0 + 1) * sn, sk, k, into, q);
      else packColumn(b, base + j0 * sn, sk, k, into, q);
    }
  }
  return into;
}

/** Pack a run-time B into the geometry's scratch panels. */
export function packRun(g: GemmGeometry, b: ArrayLike<number>): Panels {
  return packB(b, g.bCount, g.k, g.n, g.transB, g.packed);
}

/** Pack a load-time B of `shape` once (weights, constants, derived buffers), from element `at` of `b` (a slice of a weight: js/packed-slices.ts). */
export function packWeight(b: ArrayLike<number>, shape: Shape, transB: boolean, at = 0): Panels {
  const r = shape.length;
  const [k, n] = transB ? [shape[r - 1], shape[r - 2]] : [shape[r - 2], shape[r - 1]];
  const count = numel(shape.slice(0, -2));
  return packB(b, count, k, n, transB, newPanels(count, k, n), at);
}
