// Runtime row kernels of emitted JS modules: softmax with scale and additive mask, LayerNorm with
// an optional residual (writing the sum too), and attention that never holds more than one row of
// scores. Each is one pass over its rows; rounding points follow the reference interpreter (scores
// and probabilities round to f32 where it stores them), sums run in double precision.

import { type RowOperand, type Shape, matrixOffsets, numel, rowOffsets, rowOperand, rowsOf } from './geometry.ts';

export interface SoftmaxGeometry {
  readonly rows: number;
  readonly len: number;
  readonly mask: RowOperand | null;
  /** One row of exponentials. */
  readonly scratch: Float64Array;
}

export function softmaxGeometry(x: Shape, mask: Shape | null): SoftmaxGeometry {
  const { rows, width } = rowsOf(x);
  return { rows, len: width, mask: rowOperand(x.slice(0, -1), mask), scratch: new Float64Array(width) };
}

/** Softmax of row[0..len) in place, stored to out at `o`: a row with no finite score is NaN (as PyTorch). */
function normalizeRow(row: Float64Array, len: number, max: number, out: Float32Array, o: number): void {
  let sum = 0;
  for (let j = 0; j < len; j++) {
    const e = max === -Infinity ? 0 : Math.exp(row[j] - max);
    row[j] = e;
    sum += e;
  }
  for (let j = 0; j < len; j++) out[o + j] = sum === 0 ? NaN : row[j] / sum;
}

/** out = softmax(x * scale + mask) over the last axis. */
export function softmax(g: SoftmaxGeometry, scale: number, x: Float32Array, mask: Float32Array | null, out: Float32Array): void {
  const { rows, len, scratch } = g;
  const mrows = g.mask ? g.mask.rows : null;
  const mcol = g.mask ? g.mask.col : 0;
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let max = -Infinity;
    for (let j = 0; j < len; j++) {
      let v = Math.fround(x[o + j] * scale);
      if (mask !== null && mrows !== null) v = Math.fround(v + mask[mrows[r] + j * mcol]);
      scratch[j] = v;
      if (v > max) max = v;
    }
    normalizeRow(scratch, len, max, out, o);
  }
}

export interface LayerNormGeometry {
  readonly rows: number;
  readonly width: number;
  readonly residual: RowOperand | null;
}

export function layerNormGeometry(x: Shape, residual: Shape | null): LayerNormGeometry {
  const { rows, width } = rowsOf(x);
  return { rows, width, residual: rowOperand(x.slice(0, -1), residual) };
}

/** out = LayerNorm(x + residual) * w + b over the last axis; `sum` receives x + residual when given. */
export function layerNorm(
  g: LayerNormGeometry, eps: number, x: Float32Array, residual: Float32Array | null,
  w: Float32Array, b: Float32Array, out: Float32Array, sum: Float32Array | null,
): void {
  const { rows, width } = g;
  const res = g.residual;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let src = x;
    if (residual !== null && res !== null && sum !== null) {
      const ro = res.rows[r];
      for (let j = 0; j < width; j++) sum[o + j] = x[o + j] + residual[ro + j * res.col];
      src = sum;
    }
    let mean = 0;
    for (let j = 0; j < width; j++) mean += src[o + j];
    mean /= width;
    let v = 0;
    for (let j = 0; j < width; j++) {
      const d = src[o + j] - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / width + eps);
    for (let j = 0; j < width; j++) out[o + j] = (src[o + j] - mean) * inv * w[j] + b[j];
  }
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
  /** Scratch: one row of scores, 4 dot products, one output row. */
  readonly scores: Float64Array;
  readonly dots: Float64Array;
  readonly acc: Float64Array;
}

export function attentionGeometry(q: Shape, k: Shape, v: Shape, mask: Shape | null, out: Shape): AttentionGeometry {
  const batch = out.slice(0, -2);
  const lq = q[q.length - 2];
  const lk = k[k.length - 2];
  const depth = q[q.length - 1];
  const dv = v[v.length - 1];
  const rows = [...batch, lq];
  return {
    batches: numel(batch), lq, lk, depth, dv,
    qRows: rowOffsets(rows, q), kMats: matrixOffsets(batch, k), vMats: matrixOffsets(batch, v),
    mask: rowOperand(rows, mask), scores: new Float64Array(lk), dots: new Float64Array(4), acc: new Float64Array(dv),
  };
}

/** Dot products of q row `qo` with 4 consecutive key rows from `ko`, into `into[0..4)`: q is read once for all four. */
function dot4(q: Float32Array, qo: number, k: Float32Array, ko: number, depth: number, into: Float64Array): void {
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  for (let d = 0, k1 = ko + depth, k2 = k1 + depth, k3 = k2 + depth; d < depth; d++) {
    const x = q[qo + d];
    d0 += x * k[ko + d]; d1 += x * k[k1 + d]; d2 += x * k[k2 + d]; d3 += x * k[k3 + d];
  }
  into[0] = d0; into[1] = d1; into[2] = d2; into[3] = d3;
}

/** Scores of one query row (scaled, masked, causal; rounded where the reference stores), and their max. */
function scoreRow(g: AttentionGeometry, scale: number, causal: boolean, q: Float32Array, k: Float32Array, mask: Float32Array | null, kb: number, r: number, i: number): number {
  const { lk, depth, scores, dots } = g;
  const qo = g.qRows[r];
  const mo = g.mask ? g.mask.rows[r] : 0;
  const mcol = g.mask ? g.mask.col : 0;
  let max = -Infinity;
  for (let j = 0; j < lk; j += 4) {
    if (j + 4 <= lk) dot4(q, qo, k, kb + j * depth, depth, dots);
    else for (let t = j; t < lk; t++) {
      let dot = 0;
      for (let d = 0, ko = kb + t * depth; d < depth; d++) dot += q[qo + d] * k[ko + d];
      dots[t - j] = dot;
    }
    for (let t = j; t < lk && t < j + 4; t++) {
      let s = Math.fround(Math.fround(dots[t - j]) * scale);
      if (mask !== null) s = Math.fround(s + mask[mo + t * mcol]);
      if (causal && t > i) s = -Infinity;
      scores[t] = s;
      if (s > max) max = s;
    }
  }
  return max;
}

/** out row `o` = probabilities (scores → exp → / sum, rounded to f32) times v; 4 value rows per pass. */
function weightedValues(g: AttentionGeometry, max: number, v: Float32Array, vb: number, out: Float32Array, o: number): void {
  const { lk, dv, scores, acc } = g;
  let sum = 0;
  for (let j = 0; j < lk; j++) {
    const e = max === -Infinity ? 0 : Math.exp(scores[j] - max);
    scores[j] = e;
    sum += e;
  }
  for (let j = 0; j < lk; j++) scores[j] = Math.fround(sum === 0 ? NaN : scores[j] / sum);
  acc.fill(0);
  let j = 0;
  for (; j + 4 <= lk; j += 4) {
    const p0 = scores[j], p1 = scores[j + 1], p2 = scores[j + 2], p3 = scores[j + 3];
    for (let d = 0, v0 = vb + j * dv, v1 = v0 + dv, v2 = v1 + dv, v3 = v2 + dv; d < dv; d++) {
      acc[d] = acc[d] + p0 * v[v0 + d] + p1 * v[v1 + d] + p2 * v[v2 + d] + p3 * v[v3 + d];
    }
  }
  for (; j < lk; j++) for (let d = 0, vo = vb + j * dv; d < dv; d++) acc[d] += scores[j] * v[vo + d];
  for (let d = 0; d < dv; d++) out[o + d] = acc[d];
}

/** out = softmax(q kᵀ * scale + mask, causal) v, one query row at a time (same summation order as the reference). */
export function attention(
  g: AttentionGeometry, scale: number, causal: boolean,
  q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, out: Float32Array,
): void {
  const { batches, lq, lk, depth, dv, kMats, vMats } = g;
  for (let bi = 0; bi < batches; bi++) {
    for (let i = 0; i < lq; i++) {
      const r = bi * lq + i;
      const max = scoreRow(g, scale, causal, q, k, mask, kMats[bi] * lk * depth, r, i);
      weightedValues(g, max, v, vMats[bi] * lk * dv, out, r * dv);
    }
  }
}
