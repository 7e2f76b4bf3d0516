// Runtime attention of emitted JS modules, never holding more than two rows of scores (softmax and
// the norms are generated row kernels, js/row-template.ts). Rounding points follow the reference
// interpreter (scores and probabilities round to f32 where it stores them), sums run in double
// precision and in the reference's order. Dot products run 2 × 2 at a time over operands packed
// into plain arrays of doubles, as the GEMM does (js/runtime/gemm.ts says why not typed arrays).

import { type Shape, doubles, numel, offsetTable } from './geometry.ts';

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

/** Where an operand of attention is read: the start of each batch item, the step from row to row (and key to key). */
export interface AttentionOperand {
  readonly starts: Int32Array;
  readonly row: number;
  readonly col: number;
}

export interface AttentionGeometry {
  readonly batches: number;
  readonly lq: number;
  readonly lk: number;
  readonly depth: number;
  readonly dv: number;
  readonly q: AttentionOperand;
  readonly k: AttentionOperand;
  readonly v: AttentionOperand;
  readonly out: AttentionOperand;
  readonly mask: AttentionOperand | null;
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

/** An operand's strides as the compiler's attentionAccess gives them: per batch axis, per row, per column (mask only). */
export type AttentionStrides = readonly [batch: readonly number[], row: number, col: number];

/**
 * `batch`: the logical batch axes; `operands`: q, k, v, out and the mask (or null), each read at
 * Σ batch coordinate · stride + row · row stride (+ key · column stride for the mask), in either layout.
 */
export function attentionGeometry(batch: Shape, operands: readonly (AttentionStrides | null)[], lq: number, lk: number, depth: number, dv: number): AttentionGeometry {
  const panels = (n: number, size: number) => Array.from({ length: Math.ceil(n / ATT_TILE) }, () => doubles(size * ATT_TILE));
  const read = (s: AttentionStrides | null): AttentionOperand | null => (s === null ? null : { starts: offsetTable(batch, s[0]), row: s[1], col: s[2] });
  const [q, k, v, out, mask] = operands.map(read);
  return {
    batches: numel(batch), lq, lk, depth, dv, q: q!, k: k!, v: v!, out: out!, mask,
    kPanels: panels(lk, depth), vPanels: panels(dv, lk), qPanel: doubles(ATT_TILE * depth),
    scores: doubles(ATT_TILE * lk), probs: doubles(ATT_TILE * lk), tile: doubles(ATT_TILE * ATT_TILE),
  };
}

/** Pack `count` rows of `len` (`stride` apart) from x at `base` into panels of 2 rows interleaved along the row (zero padded). */
function packRows(x: Float32Array, base: number, count: number, len: number, stride: number, panels: readonly number[][]): void {
  for (let jp = 0; jp < panels.length; jp++) {
    const panel = panels[jp];
    for (let c = 0; c < ATT_TILE; c++) {
      const j = jp * ATT_TILE + c;
      for (let d = 0, u = c, o = base + j * stride; d < len; d++, u += ATT_TILE) panel[u] = j < count ? x[o + d] : 0;
    }
  }
}

/** Pack a `rows` × `cols` matrix (rows `stride` apart) from x at `base` into panels of 2 columns interleaved along the rows (zero padded). */
function packColumns(x: Float32Array, base: number, rows: number, cols: number, stride: number, panels: readonly number[][]): void {
  for (let jp = 0; jp < panels.length; jp++) {
    const panel = panels[jp];
    for (let c = 0; c < ATT_TILE; c++) {
      const j = jp * ATT_TILE + c;
      for (let t = 0, u = c, o = base + j; t < rows; t++, u += ATT_TILE, o += stride) panel[u] = j < cols ? x[o] : 0;
    }
  }
}

/**
 * Scores of the query rows in g.qPanel against every key (2 × 2 dot products at a time, summed
 * along the depth in order), scaled, masked and causal, rounded where the reference stores them,
 * into g.scores row after row; a padding row past `rows` repeats the last one.
 */
function scoreBlock(g: AttentionGeometry, scale: number, causal: boolean, mask: Float32Array | null, bi: number, i0: number, rows: number): void {
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
    const mo = g.mask ? g.mask.starts[bi] + i * g.mask.row : 0;
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

/** out rows from `at` (`rows` of them, g.out.row apart) = probabilities times values, 2 × 2 at a time, summed along the keys in order. */
function weightedValues(g: AttentionGeometry, out: Float32Array, at: number, rows: number): void {
  const { dv, vPanels, probs, tile } = g;
  const span = g.lk * ATT_TILE, step = g.out.row;
  for (let jp = 0, j = 0; jp < vPanels.length; jp++, j += ATT_TILE) {
    dot2x2(probs, vPanels[jp], span, tile);
    const o = at + j, wide = j + 1 < dv;
    out[o] = tile[0];
    if (wide) out[o + 1] = tile[1];
    if (rows > 1) {
      out[o + step] = tile[2];
      if (wide) out[o + step + 1] = tile[3];
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
  const { batches, lq, lk, depth, dv, qPanel } = g;
  for (let bi = 0; bi < batches; bi++) {
    packRows(k, g.k.starts[bi], lk, depth, g.k.row, g.kPanels);
    packColumns(v, g.v.starts[bi], lk, dv, g.v.row, g.vPanels);
    const qAt = g.q.starts[bi], outAt = g.out.starts[bi];
    for (let i0 = 0; i0 < lq; i0 += ATT_TILE) {
      const rows = Math.min(ATT_TILE, lq - i0);
      for (let r = 0; r < ATT_TILE; r++) {
        const src = qAt + (i0 + Math.min(r, rows - 1)) * g.q.row;
        for (let d = 0, u = r; d < depth; d++, u += ATT_TILE) qPanel[u] = q[src + d];
      }
      scoreBlock(g, scale, causal, mask, bi, i0, rows);
      probabilities(g);
      weightedValues(g, out, outAt + i0 * g.out.row, rows);
    }
  }
}
