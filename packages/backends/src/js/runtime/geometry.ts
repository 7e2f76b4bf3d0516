// Runtime index geometry of emitted JS modules: strides, broadcast offset tables and the per-kernel
// geometry objects that a module computes once per set of symbol values (never per run). Kernels
// then index with plain adds: row r of an operand starts at `rows[r]`, its columns step by 0 or 1.

export type Shape = readonly number[];

/** Zeros to copy from, grown by doubling: made from a non-integer, as elements never go back from doubles to small integers. */
let ZEROS: number[] = [0.5].fill(0);
/** The zeros kept between loads (512 KiB); packing weights grows them to the largest weight for a while. */
const ZEROS_KEPT = 65536;

/** `n` zeros in a plain array that V8 keeps as unboxed doubles (PACKED_DOUBLE_ELEMENTS), exactly `n` long. */
export function doubles(n: number): number[] {
  while (ZEROS.length < n) ZEROS = ZEROS.concat(ZEROS);
  return ZEROS.slice(0, n);
}

/** Let go of the zeros past ZEROS_KEPT (createModel calls it once the weights are packed). */
export function releaseZeros(): void {
  if (ZEROS.length > ZEROS_KEPT) ZEROS = ZEROS.slice(0, ZEROS_KEPT);
}

export function numel(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function rowMajor(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `shape` placed right-aligned among `rank` dims; 0 where a dim broadcasts or is missing. */
export function alignedStrides(shape: Shape, strides: readonly number[], rank: number): number[] {
  const out = new Array<number>(rank).fill(0);
  const off = rank - shape.length;
  for (let d = 0; d < shape.length; d++) if (d + off >= 0 && shape[d] !== 1) out[d + off] = strides[d];
  return out;
}

/** The offset of every index of `dims` (row-major order) under `strides`. */
export function offsetTable(dims: Shape, strides: readonly number[]): Int32Array {
  const n = numel(dims);
  const table = new Int32Array(n);
  const rank = dims.length;
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let k = 0; k < n; k++) {
    table[k] = at;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]++;
      at += strides[a];
      if (counter[a] < dims[a]) break;
      at -= strides[a] * counter[a];
      counter[a] = 0;
    }
  }
  return table;
}

/** Start offset of each row of an operand broadcast against rows `outer` (its last dim is the column axis). */
export function rowOffsets(outer: Shape, shape: Shape): Int32Array {
  const lead = shape.slice(0, Math.max(0, shape.length - 1));
  return offsetTable(outer, alignedStrides(lead, rowMajor(shape), outer.length));
}

/** Column step of an operand along the last axis: 0 when it broadcasts there. */
export function colStride(shape: Shape): number {
  return shape.length === 0 || shape[shape.length - 1] === 1 ? 0 : 1;
}

/** Offset (in whole matrices) of each batch of an operand whose last two dims are a matrix. */
export function matrixOffsets(outBatch: Shape, shape: Shape): Int32Array {
  const batch = shape.slice(0, Math.max(0, shape.length - 2));
  return offsetTable(outBatch, alignedStrides(batch, rowMajor(batch), outBatch.length));
}

/** Rows and width of a shape seen as [rows, width] (a scalar is one row of one). */
export function rowsOf(shape: Shape): { rows: number; width: number } {
  if (shape.length === 0) return { rows: 1, width: 1 };
  const width = shape[shape.length - 1];
  return { rows: numel(shape.slice(0, -1)), width };
}

export interface ElementwiseGeometry {
  readonly n: number;
  readonly rows: number;
  readonly width: number;
  /** Per operand: its row offsets and column step, or null when it has the output's shape. */
  readonly rowsOf: readonly (Int32Array | null)[];
  readonly cols: readonly number[];
}

/** Operands given as null have exactly the output's shape and are read at the output index. */
export function elementwiseGeometry(out: Shape, operands: readonly (Shape | null)[]): ElementwiseGeometry {
  const { rows, width } = rowsOf(out);
  const outer = out.slice(0, Math.max(0, out.length - 1));
  return {
    n: numel(out), rows, width,
    rowsOf: operands.map((s) => (s === null ? null : rowOffsets(outer, s))),
    cols: operands.map((s) => (s === null ? 1 : colStride(s))),
  };
}

export interface ReduceGeometry {
  /** Offset in x of the first element reduced into each output element. */
  readonly outer: Int32Array;
  /** Offsets, relative to that, of the elements reduced together. */
  readonly inner: Int32Array;
}

/** Reduction of x over sorted `axes`: output elements enumerate the kept axes in order. */
export function reduceGeometry(x: Shape, axes: readonly number[]): ReduceGeometry {
  const strides = rowMajor(x);
  const kept = x.map((_, i) => i).filter((i) => !axes.includes(i));
  return {
    outer: offsetTable(kept.map((i) => x[i]), kept.map((i) => strides[i])),
    inner: offsetTable(axes.map((i) => x[i]), axes.map((i) => strides[i])),
  };
}

export interface CopyGeometry {
  /** Source offset of each output row. */
  readonly rows: Int32Array;
  /** Output row length and the source step between its elements. */
  readonly width: number;
  readonly step: number;
}

/** out = x permuted: out axis i is x axis perm[i]. */
export function transposeGeometry(x: Shape, perm: readonly number[]): CopyGeometry {
  const strides = rowMajor(x);
  const shape = perm.map((p) => x[p]);
  const moved = perm.map((p) => strides[p]);
  const { width } = rowsOf(shape);
  return { rows: offsetTable(shape.slice(0, -1), moved.slice(0, -1)), width, step: moved.length ? moved[moved.length - 1] : 1 };
}

/** Outer count, axis length and inner size of a shape split around `axis`. */
export interface AxisGeometry {
  readonly outer: number;
  readonly len: number;
  readonly inner: number;
}

export function axisGeometry(shape: Shape, axis: number): AxisGeometry {
  return { outer: numel(shape.slice(0, axis)), len: shape[axis], inner: numel(shape.slice(axis + 1)) };
}
