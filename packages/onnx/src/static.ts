// Import-time evaluation over static tensors (values.ts): numpy broadcasting, gather, slice,
// concat and reshape on small tensors whose integer elements may be symbolic dims. This is what
// turns a shape subgraph (Shape → Gather → Unsqueeze → Concat) into the dims of a reshape.

import { type DType, stridesOf } from '@smelt/ir';
import { type El, type Static, staticOf } from './values.ts';

function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x !== 1) {
        if (d !== 1 && d !== x) throw new Error(`shapes [${shapes.map((t) => t.join(', ')).join('], [')}] do not broadcast`);
        d = x;
      }
    }
    out.push(d);
  }
  return out;
}

/** The flat index into a tensor of `shape` for flat index i of the broadcast `out` shape. */
function broadcastIndex(shape: readonly number[], out: readonly number[]): (i: number) => number {
  const outStrides = stridesOf(out);
  const strides = stridesOf(shape);
  const off = out.length - shape.length;
  return (i) => {
    let j = 0;
    for (let a = 0; a < shape.length; a++) {
      const coord = Math.floor(i / outStrides[a + off]) % out[a + off];
      if (shape[a] !== 1) j += coord * strides[a];
    }
    return j;
  };
}

/** f applied elementwise over broadcast operands. */
export function mapStatic(ins: readonly Static[], dtype: DType, f: (els: El[]) => El): Static {
  const out = broadcastShape(ins.map((s) => s.shape));
  const n = out.reduce((a, d) => a * d, 1);
  const idx = ins.map((s) => broadcastIndex(s.shape, out));
  const values: El[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = f(ins.map((s, k) => s.values[idx[k](i)]));
  return staticOf(dtype, out, values);
}

export function reshapeStatic(s: Static, shape: readonly number[]): Static {
  return staticOf(s.dtype, shape, s.values);
}

/** take along `axis` with integer indices (negative counts from the end). */
export function gatherStatic(data: Static, indices: Static, axis: number): Static {
  const shape = data.shape;
  const outer = shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const values: El[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices.values) {
      if (typeof raw !== 'number') throw new Error(`index ${raw} is symbolic`);
      const k = raw < 0 ? raw + shape[axis] : raw;
      if (!(k >= 0 && k < shape[axis])) throw new Error(`index ${raw} is out of range for size ${shape[axis]}`);
      for (let i = 0; i < inner; i++) values.push(data.values[(o * shape[axis] + k) * inner + i]);
    }
  }
  return staticOf(data.dtype, [...shape.slice(0, axis), ...indices.shape, ...shape.slice(axis + 1)], values);
}

/** Elements [start, start + size) along `axis` with a step. */
export function sliceStatic(s: Static, axis: number, start: number, size: number, step: number): Static {
  const outer = s.shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = s.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const values: El[] = [];
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < size; k++) {
      const at = start + k * step;
      for (let i = 0; i < inner; i++) values.push(s.values[(o * s.shape[axis] + at) * inner + i]);
    }
  }
  const shape = [...s.shape];
  shape[axis] = size;
  return staticOf(s.dtype, shape, values);
}

export function concatStatic(parts: readonly Static[], axis: number): Static {
  const first = parts[0];
  const outer = first.shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const values: El[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.shape.slice(axis).reduce((a, d) => a * d, 1);
      for (let i = 0; i < chunk; i++) values.push(p.values[o * chunk + i]);
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((a, p) => a + p.shape[axis], 0);
  return staticOf(first.dtype, shape, values);
}
