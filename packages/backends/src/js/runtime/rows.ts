// Runtime attention of emitted JS modules, never holding more than two rows of scores (softmax and
// the norms are generated row kernels, js/row-template.ts). Rounding points follow the reference
// interpreter (scores and probabilities round to f32 where it stores them), sums run in double
// precision and in the reference's order. Dot products run 2 × 2 at a time over operands packed
// into plain arrays of doubles, as the GEMM does (js/runtime/gemm.ts says why not typed arrays).

import { type RowOperand, type Shape, doubles, matrixOffsets, numel, rowOffsets, rowOperand } from './geometry.ts';

/** Query rows and keys (or value columns) per register tile of attention: 2 × 2 dot products in locals. */
const ATT_TILE = 2;

/**
 * The 2 × 2 dot products of two rows of `a` with two rows of `b`, each pair interleaved (x[2t] and
 * x[2t + 1] are step t of its rows 0 and 1), over `span` (twice the steps), into tile[0..4) row
 * after row. Three steps per iteration, each sum in step order (as the GEMM micro-kernel).
 */
function dot2x2(a: readonly number[], b: readonly number[], span: number, tile: number[]): void {
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0, u = 0;
  for (; u <= span - 6; u += 6) {
    {
      const b0 = b[u], b1 = b[(u + 1) | 0], a0 = a[u], a1 = a[(u + 1) | 0];
      c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
    }
    {
      const b0 = b[(u + 2) | 0], b1 = b[(u + 3) | 0], a0 = a[(u + 2) | 0], a1 = a[(u + 3) | 0];
      c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
    }
    {
      const b0 = b[(u + 4) | 0], b1 = b[(u + 5) | 0], a0 = a[(u + 4) | 0], a1 = a[(u + 5) | 0];
      c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
    }
  }
  for (; u < span; u += 2) {
    const b0 = b[u], b1 = b[(u + 1) | 0], a0 = a[u], a1 = a[(u + 1) | 0];
    c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c10; tile[3] = c11;
}

export interface AttentionGeometry {
  readonly batches: number;
  readonly lq: number;
  readonly lk: number;
  readonly depth: number;
  readonly dv: number;
  /** Start of each query row (over batch × lq), and the key and value matrix of each batch. */
  readonly qRows: Int32Array;
  readonly kMats: Int32Array;
  readonly vMats: Int32Array;
  readonly mask: RowOperand | null;
  /**
   * Scratch, doubles: the keys of one batch in panels of 2 keys interleaved by depth, its values in
   * panels of 2 columns interleaved by key, 2 query rows interleaved by depth, their scores (row
   * after row), their probabilities interleaved by key, and one 2 × 2 tile.
   */
  readonly kPanels: readonly number[][];
  readonly vPanels: readonly number[][];
  readonly qPanel: number[];
  readonly scores: number[];
  readonly probs: number[];
  readonly tile: number[];
}

export function attentionGeometry(q: Shape, k: Shape, v: Shape, mask: Shape | null, out: Shape): AttentionGeometry {
  const batch = out.slice(0, -2);
  const lq = q[q.length - 2];
  const lk = k[k.length - 2];
  const depth = q[q.length - 1];
  const dv = v[v.length - 1];
  const rows = [...batch, lq];
  const panels = (n: number, size: number) => Array.from({ length: Math.ceil(n / ATT_TILE) }, () => doubles(size * ATT_TILE));
  return {
    batches: numel(batch), lq, lk, depth, dv,
    qRows: rowOffsets(rows, q), kMats: matrixOffsets(batch, k), vMats: matrixOffsets(batch, v), mask: rowOperand(rows, mask),
    kPanels: panels(lk, depth), vPanels: panels(dv, lk), qPanel: doubles(ATT_TILE * depth),
    scores: doubles(ATT_TILE * lk), probs: doubles(ATT_TILE * lk), tile: doubles(ATT_TILE * ATT_TILE),
  };
}

/** Pack `count` rows of `len` from x at `base` into panels of 2 rows interleaved along the row (zero padded). */
function packRows(x: Float32Array, base: number, count: number, len: number, panels: readonly number[][]): void {
  for (let jp = 0; jp < panels.length; jp++) {
    const panel = panels[jp];
    for (let c = 0; c < ATT_TILE; c++) {
      const j = jp * ATT_TILE + c;
      for (let d = 0, u = c, o = base + j * len; d < len; d++, u += ATT_TILE) panel[u] = j < count ? x[o + d] : 0;
    }
  }
}

/** Pack a `rows` × `cols` matrix from x at `base` into panels of 2 columns interleaved along the rows (zero padded). */
function packColumns(x: Float32Array, base: number, rows: number, cols: number, panels: readonly number[][]): void {
  for (let jp = 0; jp < panels.length; jp++) {
    const panel = panels[jp];
    for (let c = 0; c < ATT_TILE; c++) {
      const j = jp * ATT_TILE + c;
      for (let t = 0, u = c, o = base + j; t < rows; t++, u += ATT_TILE, o += cols) panel[u] = j < cols ? x[o] : 0;
    }
  }
}

/**
 * Scores of the query rows in g.qPanel against every key (2 × 2 dot products at a time, summed
 * along the depth in order), scaled, masked and causal, rounded where the reference stores them,
 * into g.scores row after row; a padding row past `rows` repeats the last one.
 */
function scoreBlock(g: AttentionGeometry, scale: number, causal: boolean, mask: Float32Array | null, r0: number, i0: number, rows: number): void {
  const { lk, kPanels, qPanel, scores, tile } = g;
  const span = g.depth * ATT_TILE;
  for (let jp = 0, t = 0; jp < kPanels.length; jp++, t += ATT_TILE) {
    dot2x2(qPanel, kPanels[jp], span, tile);
    scores[t] = tile[0]; scores[lk + t] = tile[2];
    if (t + 1 < lk) { scores[t + 1] = tile[1]; scores[lk + t + 1] = tile[3]; }
  }
  const mcol = g.mask ? g.mask.col : 0;
  for (let r = 0; r < ATT_TILE; r++) {
    const row = Math.min(r, rows - 1), i = i0 + row, o = r * lk;
    const mo = g.mask ? g.mask.rows[r0 + row] : 0;
    for (let t = 0; t < lk; t++) {
      let s = Math.fround(Math.fround(scores[o + t]) * scale);
      if (mask !== null) s = Math.fround(s + mask[mo + t * mcol]);
      if (causal && t > i) s = -Infinity;
      scores[o + t] = s;
    }
  }
}

/** Probabilities of each score row (→ exp → / sum, rounded to f32; no finite score gives NaN), into g.probs interleaved by key. */
function probabilities(g: AttentionGeometry): void {
  const { lk, scores, probs } = g;
  for (let r = 0; r < ATT_TILE; r++) {
    const o = r * lk;
    let max = -Infinity;
    for (let t = 0; t < lk; t++) if (scores[o + t] > max) max = scores[o + t];
    let sum = 0;
    for (let t = 0; t < lk; t++) {
      const e = max === -Infinity ? 0 : Math.exp(scores[o + t] - max);
      scores[o + t] = e;
      sum += e;
    }
    for (let t = 0, u = r; t < lk; t++, u += ATT_TILE) probs[u] = Math.fround(sum === 0 ? NaN : scores[o + t] / sum);
  }
}

/** out rows r0.. (`rows` of them) = probabilities times values, 2 × 2 at a time, summed along the keys in order. */
function weightedValues(g: AttentionGeometry, out: Float32Array, r0: number, rows: number): void {
  const { dv, vPanels, probs, tile } = g;
  const span = g.lk * ATT_TILE;
  for (let jp = 0, j = 0; jp < vPanels.length; jp++, j += ATT_TILE) {
    dot2x2(probs, vPanels[jp], span, tile);
    const o = r0 * dv + j, wide = j + 1 < dv;
    out[o] = tile[0];
    if (wide) out[o + 1] = tile[1];
    if (rows > 1) {
      out[o + dv] = tile[2];
      if (wide) out[o + dv + 1] = tile[3];
    }
  }
}

/**
 * out = softmax(q kᵀ * scale + mask, causal) v, 2 query rows at a time: keys and values of a batch
 * are packed once, scores never exceed 2 rows (same summation order as the reference).
 */
export function attention(
  g: AttentionGeometry, scale: number, causal: boolean,
  q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, out: Float32Array,
): void {
  const { batches, lq, lk, depth, dv, kMats, vMats, qRows, qPanel } = g;
  for (let bi = 0; bi < batches; bi++) {
    packRows(k, kMats[bi] * lk * depth, lk, depth, g.kPanels);
    packColumns(v, vMats[bi] * lk * dv, lk, dv, g.vPanels);
    for (let i0 = 0; i0 < lq; i0 += ATT_TILE) {
      const r0 = bi * lq + i0, rows = Math.min(ATT_TILE, lq - i0);
      for (let r = 0; r < ATT_TILE; r++) {
        const src = qRows[r0 + Math.min(r, rows - 1)];
        for (let d = 0, u = r; d < depth; d++, u += ATT_TILE) qPanel[u] = q[src + d];
      }
      scoreBlock(g, scale, causal, mask, r0, i0, rows);
      probabilities(g);
      weightedValues(g, out, r0, rows);
    }
  }
}
