// Runtime kernels of emitted JS modules for the modern Transformer's ops: rotary embeddings
// (rope) and constant padding (pad). Rounding follows the reference interpreter (each product
// and sum to f32).

import { type Shape, numel, offsetTable, rowMajor, rowOffsets, rowsOf } from './geometry.ts';
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
