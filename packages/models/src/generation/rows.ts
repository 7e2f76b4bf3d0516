// Host tensors by batch row: rows picked (beams reordered, finished rows dropped) by copying them,
// for tensors still on the host (a prefill's caches before they go to the step executable).

import { type Tensor, numel, tensor } from '@smelt/ir';

/** The rows `rows` of t along axis 0, in that order (a row may repeat). */
export function selectRows<T extends Tensor>(t: T, rows: readonly number[]): T {
  const inner = numel(t.shape.slice(1));
  const out = tensor(t.dtype, [rows.length, ...t.shape.slice(1)]);
  const src = t.data as Float32Array;
  const dst = out.data as Float32Array;
  rows.forEach((r, i) => dst.set(src.subarray(r * inner, (r + 1) * inner), i * inner));
  return out as T;
}

/** True when rows is 0, 1, …, n - 1 (no copy needed). */
export function isIdentity(rows: readonly number[], n: number): boolean {
  return rows.length === n && rows.every((r, i) => r === i);
}
