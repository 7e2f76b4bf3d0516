// WGSL kernels of the modern Transformer's ops, one invocation per output element: rope (the
// element, its pair partner and the table row of its position) and pad (x's element or the value).

import type { KernelWriter } from '../kernel-writer.ts';
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
