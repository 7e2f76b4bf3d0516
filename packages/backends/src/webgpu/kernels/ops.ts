// WGSL kernels of the modern Transformer's ops. One invocation per output element: rope (the
// element, its pair partner and the table row of its position) and pad (x's element or the
// value), conv1d (f32 sums). One invocation per line along an axis: cumsum (f32 sums accumulate in f32: WGSL has no
// double) and topk (each pick the best element after the previous pick in topk's order, so no
// scratch: larger (smaller) first, NaN as the largest, ties by lower index).

import type { Dim } from '@smelt/ir';
import { type KernelWriter, BUILTINS, FLAT_GROUP, grid1d } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { literal, valueType } from '../wgsl-types.ts';
import { linear, perElement } from './movement.ts';

export function ropeKernel(w: KernelWriter, k: { label: string; x: number; cos: number; sin: number; out: number; interleaved: boolean }): KernelProgram {
  for (const id of [k.x, k.cos, k.sin]) w.bind(id, 'read');
  w.bind(k.out, 'read_write');
  const xs = w.shape(k.x);
  const ts = w.shape(k.cos);
  const last = xs.length - 1;
  const half = ts[ts.length - 1] as number;
  const pair = k.interleaved
    ? ['let p = j / 2u;', 'let first = j % 2u == 0u;', 'let partner = select(j - 1u, j + 1u, first);']
    : [`let first = j < ${half}u;`, `let p = select(j - ${half}u, j, first);`, `let partner = select(j - ${half}u, j + ${half}u, first);`];
  return perElement(w, k.label, k.out, [
    `let j = c${last};`,
    `var v = ${w.load(k.x, 'i')};`,
    `if (j < ${2 * half}u) {`,
    ...pair,
    `  let t = (${w.broadcastIndex(ts.slice(0, -1), xs.slice(0, -1), 'c')}) * ${half}u + p;`,
    `  let c = ${w.load(k.cos, 't')}; let s = ${w.load(k.sin, 't')};`,
    `  let o = ${w.load(k.x, 'i - j + partner')};`,
    '  v = select(v * c + o * s, v * c - o * s, first);',
    '}',
    w.store(k.out, 'i', 'v'),
  ]);
}

export function padKernel(w: KernelWriter, k: { label: string; x: number; out: number; before: readonly number[]; value: number }): KernelProgram {
  w.bind(k.x, 'read');
  w.bind(k.out, 'read_write');
  const xs = w.shape(k.x);
  const coords = xs.map((_, a) => `(c${a} - ${k.before[a]}u)`);
  // Unsigned: a coordinate before the start wraps past the end, so one bound check per axis.
  const inside = xs.map((d, a) => `${coords[a]} < ${w.dims.dim(d)}`).join(' && ') || 'true';
  const t = valueType(w.dtype(k.out));
  return perElement(w, k.label, k.out, [
    `var v = ${literal(t, k.value)};`,
    `if (${inside}) { v = ${w.load(k.x, linear(w, coords, xs))}; }`,
    w.store(k.out, 'i', 'v'),
  ]);
}

const LINE_WG = 64;

/** A kernel with one invocation per line of `shape` along `axis`: `body` sees the line's first index `base` and its step `inner`. */
function perLine(w: KernelWriter, label: string, shape: readonly Dim[], axis: number, body: string[]): KernelProgram {
  const inner = w.dims.product(shape.slice(axis + 1));
  const lines = [...shape.slice(0, axis), ...shape.slice(axis + 1)];
  const code = `
@compute @workgroup_size(${LINE_WG})
fn main(${BUILTINS}) {
  let line = ${FLAT_GROUP} * ${LINE_WG}u + li;
  if (line >= ${w.dims.product(lines)}) { return; }
  let inner = ${inner};
  let len = ${w.dims.dim(shape[axis])};
  let base = (line / inner) * len * inner + line % inner;
  ${body.join('\n  ')}
}`;
  return { label, wgsl: w.module(label, code), bindings: w.specs(), grid: grid1d(lines, LINE_WG) };
}

export function cumsumKernel(w: KernelWriter, k: { label: string; x: number; out: number; axis: number; exclusive: boolean; reverse: boolean }): KernelProgram {
  w.bind(k.x, 'read');
  w.bind(k.out, 'read_write');
  const t = valueType(w.dtype(k.x));
  return perLine(w, k.label, w.shape(k.x), k.axis, [
    `var acc = ${literal(t, 0)};`,
    'for (var s = 0u; s < len; s++) {',
    `  let at = base + ${k.reverse ? '(len - 1u - s)' : 's'} * inner;`,
    `  let next = acc + ${w.load(k.x, 'at')};`,
    `  ${w.store(k.out, 'at', k.exclusive ? 'acc' : 'next')}`,
    '  acc = next;',
    '}',
  ]);
}

export function topkKernel(w: KernelWriter, k: { label: string; x: number; out: number; indices: number; axis: number; largest: boolean }): KernelProgram {
  w.bind(k.x, 'read');
  w.bind(k.out, 'read_write');
  w.bind(k.indices, 'read_write');
  const t = valueType(w.dtype(k.x));
  const xs = w.shape(k.x);
  // before(a, ia, b, ib): a comes first in topk's order.
  const nan = (v: string) => (t === 'f32' ? `is_nan(${v})` : 'false');
  const before = (a: string, ia: string, b: string, ib: string) =>
    `((${k.largest ? `${a} > ${b}` : `${a} < ${b}`}) || (${a} == ${b} && ${ia} < ${ib}) || (${k.largest ? `${nan(a)} && (!${nan(b)} || ${ia} < ${ib})` : `${nan(b)} && (!${nan(a)} || ${ia} < ${ib})`}))`;
  const kOut = w.dims.dim(w.shape(k.out)[k.axis]);
  return perLine(w, k.label, xs, k.axis, [
    `let kept = ${kOut};`,
    `let outBase = (line / inner) * kept * inner + line % inner;`,
    `var pv = ${literal(t, 0)}; var pi = -1i;`,
    'for (var r = 0u; r < kept; r++) {',
    `  var bv = ${literal(t, 0)}; var bi = -1i;`,
    '  for (var j = 0u; j < len; j++) {',
    `    let v = ${w.load(k.x, 'base + j * inner')};`,
    '    let jj = i32(j);',
    `    if ((pi < 0i || ${before('pv', 'pi', 'v', 'jj')}) && (bi < 0i || ${before('v', 'jj', 'bv', 'bi')})) { bv = v; bi = jj; }`,
    '  }',
    `  ${w.store(k.out, 'outBase + r * inner', 'bv')}`,
    `  ${w.store(k.indices, 'outBase + r * inner', 'bi')}`,
    '  pv = bv; pi = bi;',
    '}',
  ]);
}

export function conv1dKernel(w: KernelWriter, k: { label: string; x: number; w: number; bias?: number; out: number; stride: number; padding: number; dilation: number; groups: number }): KernelProgram {
  for (const id of [k.x, k.w, ...(k.bias === undefined ? [] : [k.bias])]) w.bind(id, 'read');
  w.bind(k.out, 'read_write');
  const [, cin, len] = w.shape(k.x).map((d) => w.dims.dim(d));
  const [cout, cpg, kk] = w.shape(k.w) as number[];
  return perElement(w, k.label, k.out, [
    `var acc = ${k.bias === undefined ? '0.0f' : w.load(k.bias, 'c1')};`,
    `let xBase = (c0 * ${cin} + (c1 / ${cout / k.groups}u) * ${cpg}u) * ${len};`,
    `for (var ci = 0u; ci < ${cpg}u; ci++) {`,
    `  for (var j = 0u; j < ${kk}u; j++) {`,
    `    let at = i32(c2 * ${k.stride}u + j * ${k.dilation}u) - ${k.padding}i;`,
    `    if (at >= 0i && u32(at) < ${len}) { acc += ${w.load(k.w, `(c1 * ${cpg}u + ci) * ${kk}u + j`)} * ${w.load(k.x, 'xBase + ci * ' + len + ' + u32(at)')}; }`,
    '  }',
    '}',
    w.store(k.out, 'i', 'acc'),
  ]);
}
