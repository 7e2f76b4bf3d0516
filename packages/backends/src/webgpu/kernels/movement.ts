// Movement and source kernels: transpose, slice, dynamic_slice, concat, gather and iota. One invocation per output
// element: split the output index into coordinates, compute the source index, copy the 32-bit
// element (no conversion: source and result share a dtype). Gather clamps an out-of-range index
// into the table (the reference throws; a kernel cannot).

import type { Dim } from '@smelt/ir';
import { type KernelWriter, BUILTINS, FLAT_GROUP, grid1d } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';

const WG = 256;

/** Invocations per workgroup along the known inner dims of a row-split grid (rowSplit). */
const ROW_WG = 64;

/**
 * Where the output shape splits into outer dims ending with its last symbol and known inner dims
 * (at least ROW_WG elements), or undefined when it has no symbol or too few inner elements.
 */
function rowSplit(shape: readonly Dim[]): number | undefined {
  let p = shape.length;
  while (p > 0 && typeof shape[p - 1] === 'number') p--;
  if (p === 0) return undefined;
  const inner = shape.slice(p).reduce<number>((a, d) => a * (d as number), 1);
  return inner >= ROW_WG ? p : undefined;
}

/** A kernel whose body maps output coordinates c0.. (and flat index i) to lines storing out[i]. */
export function perElement(w: KernelWriter, label: string, out: number, body: string[]): KernelProgram {
  const outShape = w.shape(out);
  const p = rowSplit(outShape);
  if (p !== undefined) {
    // The grid carries the outer coordinates (y: the last symbolic dim, z: the dims before it), so
    // no coordinate is divided by a symbol: integer division by a value unknown to the shader
    // compiler is slow (on CPU adapters it is done lane by lane).
    const inner = outShape.slice(p);
    const innerCount = w.dims.product(inner);
    const code = `
@compute @workgroup_size(${ROW_WG})
fn main(${BUILTINS}) {
  let x = wg.x * ${ROW_WG}u + li;
  if (x >= ${innerCount}) { return; }
  ${[...w.coords('wg.z', outShape.slice(0, p - 1), 'c'), `let c${p - 1} = wg.y;`, ...w.coords('x', inner, 'q'),
    ...inner.map((_, a) => `let c${p + a} = q${a};`),
    `let i = (${p > 1 ? `wg.z * ${w.dims.dim(outShape[p - 1])} + ` : ''}wg.y) * ${innerCount} + x;`, ...body].join('\n  ')}
}`;
    return {
      label, wgsl: w.module(label, code), bindings: w.specs(),
      grid: { kind: 'xyz', axes: [{ dims: inner, per: ROW_WG }, { dims: [outShape[p - 1]], per: 1 }, { dims: outShape.slice(0, p - 1), per: 1 }] },
    };
  }
  const code = `
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let i = ${FLAT_GROUP} * ${WG}u + li;
  if (i >= ${w.numel(out)}) { return; }
  ${[...w.coords('i', outShape, 'c'), ...body].join('\n  ')}
}`;
  return { label, wgsl: w.module(label, code), bindings: w.specs(), grid: grid1d(outShape, WG) };
}

/** Row-major linear index of coordinate expressions over `shape`. */
export function linear(w: KernelWriter, coords: readonly string[], shape: readonly Dim[]): string {
  if (coords.length === 0) return '0u';
  return coords.map((c, a) => {
    const stride = w.dims.product(shape.slice(a + 1));
    return stride === '1u' ? c : `${c} * ${stride}`;
  }).join(' + ');
}

const coordNames = (rank: number, prefix = 'c') => Array.from({ length: rank }, (_, a) => `${prefix}${a}`);

export function transposeKernel(w: KernelWriter, k: { label: string; x: number; out: number; perm: readonly number[] }): KernelProgram {
  w.bind(k.x, 'read');
  w.bind(k.out, 'read_write');
  const inCoords = new Array<string>(k.perm.length);
  k.perm.forEach((p, a) => { inCoords[p] = `c${a}`; });
  return perElement(w, k.label, k.out, [w.store(k.out, 'i', w.load(k.x, linear(w, inCoords, w.shape(k.x))))]);
}

/** out = x's entries from `start` (a WGSL u32 expression; `setup()` writes statements before it, its bindings made) along `axis`. */
function sliceFrom(w: KernelWriter, k: { label: string; x: number; out: number; axis: number }, start: string, setup: () => readonly string[] = () => []): KernelProgram {
  w.bind(k.x, 'read');
  w.bind(k.out, 'read_write');
  const statements = setup();
  const coords = coordNames(w.shape(k.out).length);
  coords[k.axis] = `(c${k.axis} + ${start})`;
  return perElement(w, k.label, k.out, [...statements, w.store(k.out, 'i', w.load(k.x, linear(w, coords, w.shape(k.x))))]);
}

export function sliceKernel(w: KernelWriter, k: { label: string; x: number; out: number; axis: number; start: Dim }): KernelProgram {
  return sliceFrom(w, k, w.dims.dim(k.start));
}

/** A slice from a start read at run time: the i32 scalar clamped into [0, len - size] (size ≤ len is checked at bind). */
export function dynamicSliceKernel(w: KernelWriter, k: { label: string; x: number; start: number; out: number; axis: number }): KernelProgram {
  const len = w.dims.dim(w.shape(k.x)[k.axis]), size = w.dims.dim(w.shape(k.out)[k.axis]);
  return sliceFrom(w, k, 'start', () => {
    w.bind(k.start, 'read');
    return [`let start = u32(clamp(${w.load(k.start, '0u')}, 0, i32(${len}) - i32(${size})));`];
  });
}

export function concatKernel(w: KernelWriter, k: { label: string; inputs: readonly number[]; out: number; axis: number }): KernelProgram {
  for (const id of k.inputs) w.bind(id, 'read');
  w.bind(k.out, 'read_write');
  const rank = w.shape(k.out).length;
  // if (c < end0) { copy from input 0 } else if (c < end1) { … } else { copy from the last }
  const body: string[] = [];
  k.inputs.forEach((id, n) => {
    const s = w.shape(id);
    const coords = coordNames(rank);
    coords[k.axis] = `(c${k.axis} - ${offsetOf(w, k.inputs.slice(0, n), k.axis)})`;
    const copy = w.store(k.out, 'i', w.load(id, linear(w, coords, s)));
    const bound = offsetOf(w, k.inputs.slice(0, n + 1), k.axis);
    body.push(n === k.inputs.length - 1 ? `{ ${copy} }` : `if (c${k.axis} < ${bound}) { ${copy} } else `);
  });
  return perElement(w, k.label, k.out, [body.join('')]);
}

/** The sum of the inputs' sizes along the axis, as WGSL. */
function offsetOf(w: KernelWriter, ids: readonly number[], axis: number): string {
  if (ids.length === 0) return '0u';
  const sizes = ids.map((id) => w.dims.dim(w.shape(id)[axis]));
  return sizes.length === 1 ? sizes[0] : `(${sizes.join(' + ')})`;
}

export function gatherKernel(w: KernelWriter, k: { label: string; table: number; indices: number; out: number; axis: number }): KernelProgram {
  w.bind(k.table, 'read');
  w.bind(k.indices, 'read');
  w.bind(k.out, 'read_write');
  const ts = w.shape(k.table);
  const is = w.shape(k.indices);
  const idxCoords = is.map((_, j) => `c${k.axis + j}`);
  const len = w.dims.dim(ts[k.axis]);
  const tableCoords = [...coordNames(k.axis), 'at', ...ts.slice(k.axis + 1).map((_, j) => `c${k.axis + is.length + j}`)];
  return perElement(w, k.label, k.out, [
    `let at = u32(clamp(${w.load(k.indices, linear(w, idxCoords, is))}, 0i, i32(${len}) - 1i));`,
    w.store(k.out, 'i', w.load(k.table, linear(w, tableCoords, ts))),
  ]);
}

export function iotaKernel(w: KernelWriter, k: { label: string; out: number; axis: number }): KernelProgram {
  w.bind(k.out, 'read_write');
  const value = w.dtype(k.out) === 'f32' ? `f32(c${k.axis})` : `i32(c${k.axis})`;
  return perElement(w, k.label, k.out, [w.store(k.out, 'i', value)]);
}
