// Runtime kernels of emitted JS modules for the modern Transformer's ops: rotary embeddings
// (rope). Rounding follows the reference interpreter (each product and sum to f32).

import { type Shape, rowOffsets, rowsOf } from './geometry.ts';

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
