// Runtime kernels of emitted JS modules for the modern Transformer's ops: rotary embeddings
// (rope), constant padding (pad), running sums (cumsum), top-k selection (topk) and 1-D
// convolution (conv1d). Rounding
// follows the reference interpreter (each product and sum to f32; sums accumulate in double).

import { type AxisGeometry, type Shape, numel, offsetTable, rowMajor, rowOffsets, rowsOf } from './geometry.ts';
import type { Elements } from './movement.ts';

export interface RopeGeometry {
  readonly rows: number;
  readonly width: number;
  /** Pairs rotated per row (the tables' width). */
  readonly half: number;
  /** Start of each x row's table row in cos and sin. */
  readonly table: Int32Array;
}

export function ropeGeometry(x: Shape, table: Shape): RopeGeometry {
  const { rows, width } = rowsOf(x);
  return { rows, width, half: table[table.length - 1], table: rowOffsets(x.slice(0, -1), table) };
}

/** out = x with pairs (j, j + half), or (2p, 2p + 1) when interleaved, rotated by cos and sin. */
export function rope(g: RopeGeometry, interleaved: boolean, x: Float32Array, cos: Float32Array, sin: Float32Array, out: Float32Array): void {
  const { rows, width, half } = g;
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    const t = g.table[r];
    for (let j = 2 * half; j < width; j++) out[base + j] = x[base + j];
    for (let p = 0; p < half; p++) {
      const i = base + (interleaved ? 2 * p : p);
      const k = base + (interleaved ? 2 * p + 1 : p + half);
      const c = cos[t + p];
      const s = sin[t + p];
      const a = x[i];
      const b = x[k];
      out[i] = f(f(a * c) - f(b * s));
      out[k] = f(f(b * c) + f(a * s));
    }
  }
}

export interface PadGeometry {
  readonly n: number;
  readonly width: number;
  /** Where each row of x starts in out. */
  readonly rows: Int32Array;
}

export function padGeometry(x: Shape, out: Shape, before: readonly number[]): PadGeometry {
  const strides = rowMajor(out);
  const base = before.reduce((s, b, a) => s + b * strides[a], 0);
  const rows = offsetTable(x.slice(0, -1), strides.slice(0, -1)).map((o) => o + base);
  return { n: numel(out), width: x.length ? x[x.length - 1] : 1, rows };
}

/** out = value everywhere, then x's rows at their padded places. */
export function pad(g: PadGeometry, value: number, x: Elements, out: Elements): void {
  for (let k = 0; k < g.n; k++) out[k] = value;
  const { width, rows } = g;
  for (let r = 0; r < rows.length; r++) {
    for (let j = 0, at = rows[r]; j < width; j++) out[at + j] = x[r * width + j];
  }
}

/** Running sums along the axis `g` describes (i32: wrapping). */
export function cumsum(g: AxisGeometry, exclusive: boolean, reverse: boolean, isInt: boolean, x: ArrayLike<number>, out: Elements): void {
  const { outer, len, inner } = g;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let s = 0; s < len; s++) {
        const at = (o * len + (reverse ? len - 1 - s : s)) * inner + i;
        const next = isInt ? (acc + x[at]) | 0 : acc + x[at];
        out[at] = exclusive ? acc : next;
        acc = next;
      }
    }
  }
}

/** Whether (a at ia) comes before (b at ib): larger (smaller) first, NaN as the largest, ties by lower index. */
function before(a: number, ia: number, b: number, ib: number, largest: boolean): boolean {
  const an = a !== a;
  const bn = b !== b;
  if (an || bn) return an && bn ? ia < ib : an === largest;
  return a !== b ? (largest ? a > b : a < b) : ia < ib;
}

/** The first k = g.len of each line in topk's order: each pick is the best that comes after the one before. */
export function topk(g: AxisGeometry, lenX: number, largest: boolean, x: ArrayLike<number>, values: Elements, indices: Elements): void {
  const { outer, len: k, inner } = g;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let pv = 0;
      let pi = -1;
      for (let r = 0; r < k; r++) {
        let bv = 0;
        let bi = -1;
        for (let j = 0; j < lenX; j++) {
          const v = x[(o * lenX + j) * inner + i];
          if ((pi < 0 || before(pv, pi, v, j, largest)) && (bi < 0 || before(v, j, bv, bi, largest))) { bv = v; bi = j; }
        }
        values[(o * k + r) * inner + i] = bv;
        indices[(o * k + r) * inner + i] = bi;
        pv = bv;
        pi = bi;
      }
    }
  }
}

export interface ConvGeometry {
  readonly n: number; readonly cin: number; readonly len: number;
  readonly cout: number; readonly cpg: number; readonly k: number; readonly lout: number;
}

export function convGeometry(x: Shape, w: Shape, out: Shape): ConvGeometry {
  return { n: x[0], cin: x[1], len: x[2], cout: w[0], cpg: w[1], k: w[2], lout: out[2] };
}

/** torch's conv1d (double sums): `a` = [stride, padding, dilation, groups]. */
export function conv1d(g: ConvGeometry, a: readonly number[], x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array): void {
  const [stride, padding, dilation, groups] = a;
  const { n, cin, len, cout, cpg, k, lout } = g;
  const perGroup = cout / groups;
  for (let s = 0; s < n; s++) {
    for (let co = 0; co < cout; co++) {
      const xBase = (s * cin + Math.floor(co / perGroup) * cpg) * len;
      for (let t = 0; t < lout; t++) {
        let acc = bias === null ? 0 : bias[co];
        for (let ci = 0; ci < cpg; ci++) {
          for (let j = 0; j < k; j++) {
            const at = t * stride + j * dilation - padding;
            if (at >= 0 && at < len) acc += w[(co * cpg + ci) * k + j] * x[xBase + ci * len + at];
          }
        }
        out[(s * cout + co) * lout + t] = acc;
      }
    }
  }
}
