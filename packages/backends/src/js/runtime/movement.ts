// Runtime kernels of emitted JS modules that move or reduce elements: transpose, slice, concat,
// gather, iota, sum/mean/max/min/argmax. They work on any typed array (i64 as BigInt64Array, f16 as
// raw bits) through index geometry computed once per set of symbol values.

import type { AxisGeometry, CopyGeometry, ReduceGeometry } from './geometry.ts';

/** Any typed array of a buffer: elements are numbers, or bigints for i64. */
export interface Elements {
  [index: number]: number | bigint;
  readonly length: number;
  slice(start?: number, end?: number): Elements;
}

export function transpose(g: CopyGeometry, x: Elements, out: Elements): void {
  const { rows, width, step } = g;
  for (let r = 0, k = 0; r < rows.length; r++) {
    for (let j = 0, s = rows[r]; j < width; j++, k++, s += step) out[k] = x[s];
  }
}

function copyRun(src: Elements, from: number, dst: Elements, to: number, count: number): void {
  for (let t = 0; t < count; t++) dst[to + t] = src[from + t];
}

/** out = x[..., start : start + size, ...] along the axis that `g` describes for x. */
export function slice(g: AxisGeometry, start: number, size: number, x: Elements, out: Elements): void {
  const { outer, len, inner } = g;
  const run = size * inner;
  for (let o = 0; o < outer; o++) copyRun(x, (o * len + start) * inner, out, o * run, run);
}

/** slice from a start read at run time (an i32 scalar), clamped into [0, len - size] as the interpreter does. */
export function dynamicSlice(g: AxisGeometry, start: Elements, size: number, x: Elements, out: Elements): void {
  slice(g, Math.min(Math.max(Number(start[0]), 0), g.len - size), size, x, out);
}

/** Copy x into out at offset `at` along the axis `g` describes for out; x is `len` long on it. */
export function concatInto(g: AxisGeometry, at: number, len: number, x: Elements, out: Elements): void {
  const { outer, inner } = g;
  const run = len * inner;
  for (let o = 0; o < outer; o++) copyRun(x, o * run, out, (o * g.len + at) * inner, run);
}

/** out = slices of table (described by `g` around the gather axis) picked by indices. */
export function gather(g: AxisGeometry, table: Elements, indices: Elements, out: Elements): void {
  const { outer, len, inner } = g;
  const count = indices.length;
  for (let i = 0; i < count; i++) {
    const at = Number(indices[i]);
    if (!(at >= 0 && at < len)) throw new RangeError(`gather: index ${at} at position ${i} is out of range [0, ${len})`);
    for (let o = 0; o < outer; o++) copyRun(table, (o * len + at) * inner, out, (o * count + i) * inner, inner);
  }
}

/** Each element is its index along the axis `g` describes. */
export function iota(g: AxisGeometry, out: Elements): void {
  const { outer, len, inner } = g;
  for (let o = 0, k = 0; o < outer; o++) {
    for (let j = 0; j < len; j++) for (let i = 0; i < inner; i++, k++) out[k] = j;
  }
}

/** Sum (or mean, dividing by the count) in double precision. */
export function reduceSum(g: ReduceGeometry, mean: boolean, x: ArrayLike<number>, out: Elements): void {
  const { outer, inner } = g;
  for (let o = 0; o < outer.length; o++) {
    let acc = 0;
    for (let i = 0, base = outer[o]; i < inner.length; i++) acc += x[base + inner[i]];
    out[o] = mean ? acc / inner.length : acc;
  }
}

/** Max that propagates NaN, -inf over nothing. */
/** The largest (or with `min`, the smallest) element; NaN once seen stays. */
export function reduceExtreme(g: ReduceGeometry, min: boolean, x: ArrayLike<number>, out: Elements): void {
  const { outer, inner } = g;
  for (let o = 0; o < outer.length; o++) {
    let acc = min ? Infinity : -Infinity;
    for (let i = 0, base = outer[o]; i < inner.length; i++) {
      const v = x[base + inner[i]];
      if ((min ? v < acc : v > acc) || v !== v) acc = v;
    }
    out[o] = acc;
  }
}

/** Index of the first largest element (NaN never wins; all -inf or NaN gives 0). */
export function argmax(g: ReduceGeometry, x: ArrayLike<number>, out: Elements): void {
  const { outer, inner } = g;
  for (let o = 0; o < outer.length; o++) {
    let best = -Infinity;
    let at = 0;
    for (let i = 0, base = outer[o]; i < inner.length; i++) {
      const v = x[base + inner[i]];
      if (v > best) { best = v; at = i; }
    }
    out[o] = at;
  }
}
