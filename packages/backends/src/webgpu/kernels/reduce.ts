// Reductions over any set of axes (sum, mean, max, min, argmax): one workgroup per output element, the
// invocations striding the reduced elements and combining through a workgroup reduction. max and min keep
// NaN like the reference (they combine with the max and min ops' WGSL); argmax takes the first maximum and
// never a NaN, and is 0 when no element beats -inf.

import { type Dim, EXPR_OPS } from '@smelt/ir';
import { type KernelWriter, BUILTINS, FLAT_GROUP, grid1d } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { valueType } from '../wgsl-types.ts';
import { ROW_WG, workgroupArgmaxFn, workgroupReduceFn } from './workgroup-reduce.ts';

export interface ReduceKernel {
  readonly label: string; readonly op: 'sum' | 'mean' | 'max' | 'min' | 'argmax'; readonly x: number; readonly out: number;
  readonly axes: readonly number[];
}

/** The input index of (kept coords k*, reduced coords r*) over `shape`. */
function inputIndex(w: KernelWriter, shape: readonly Dim[], axes: readonly number[]): { lines: string[]; index: string } {
  const kept = shape.map((_, a) => a).filter((a) => !axes.includes(a));
  const suffix = axes.every((a, i) => a === shape.length - axes.length + i);
  if (suffix) return { lines: [], index: `o * ${w.dims.product(axes.map((a) => shape[a]))} + r` };
  const stride = (a: number) => w.dims.product(shape.slice(a + 1));
  const keptIdx = kept.map((a, i) => `k${i} * ${stride(a)}`);
  const redIdx = axes.map((a, i) => `r${i} * ${stride(a)}`);
  return {
    lines: w.coords('o', kept.map((a) => shape[a]), 'k'),
    index: [...keptIdx, ...redIdx].join(' + ') || '0u',
  };
}

export function reduceKernel(w: KernelWriter, k: ReduceKernel): KernelProgram {
  w.bind(k.x, 'read');
  w.bind(k.out, 'read_write');
  const shape = w.shape(k.x);
  const t = valueType(w.dtype(k.x));
  const count = w.dims.product(k.axes.map((a) => shape[a]));
  const { lines, index } = inputIndex(w, shape, k.axes);
  const redCoords = index.includes('r0') ? w.coords('r', k.axes.map((a) => shape[a]), 'r') : [];
  const outCount = w.numel(k.out);
  const lowest = t === 'f32' ? 'f32_bits(0xff800000u)' : 'i32(-2147483647i - 1i)';
  let fns: string, init: string, step: string, finish: string;
  if (k.op === 'argmax') {
    fns = workgroupArgmaxFn(t);
    init = `var best = ${lowest}; var at = 0xffffffffu;`;
    step = `if (v > best || (at == 0xffffffffu && ${t === 'i32' ? 'true' : 'false'})) { best = v; at = r; }`;
    finish = 'i32(wg_argmax(best, at, li))';
  } else if (k.op === 'max' || k.op === 'min') {
    const which = k.op;
    const pick = (a: string, b: string) => EXPR_OPS[which].wgsl.render([a, b], [w.dtype(k.x)]);
    fns = workgroupReduceFn('wg_red', t, pick('a', 'b'));
    init = `var acc = ${k.op === 'max' ? lowest : t === 'f32' ? 'f32_bits(0x7f800000u)' : '2147483647i'};`;
    step = `acc = ${pick('acc', 'v')};`;
    finish = 'wg_red(acc, li)';
  } else {
    fns = workgroupReduceFn('wg_red', t, 'a + b');
    init = `var acc = ${t === 'f32' ? '0.0f' : '0i'};`;
    step = 'acc += v;';
    finish = k.op === 'mean' ? `wg_red(acc, li) / f32(${count})` : 'wg_red(acc, li)';
  }
  const code = `${fns}
@compute @workgroup_size(${ROW_WG})
fn main(${BUILTINS}) {
  let o = ${FLAT_GROUP};
  if (o >= ${outCount}) { return; }
  ${lines.join('\n  ')}
  ${init}
  for (var r = li; r < ${count}; r += ${ROW_WG}u) {
    ${redCoords.join(' ')}
    let v = ${w.load(k.x, index)};
    ${step}
  }
  let result = ${finish};
  if (li == 0u) { ${w.store(k.out, 'o', 'result')} }
}`;
  return {
    label: k.label,
    wgsl: w.module(k.label, code),
    bindings: w.specs(),
    grid: grid1d(w.shape(k.out), 1),
  };
}
