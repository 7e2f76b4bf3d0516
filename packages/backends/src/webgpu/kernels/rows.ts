// Row kernels: scaled-masked softmax and (add-)LayerNorm over the last axis, one workgroup per row,
// invocations striding the row and combining through workgroup reductions (on CPU adapters with
// subgroups: one subgroup per row and subgroup reductions), f32 accumulation.
// Softmax matches the reference on fully masked rows (all -inf → NaN, as PyTorch gives).

import type { Dim } from '@smelt/ir';
import { type KernelWriter, BUILTINS, FLAT_GROUP, grid1d } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { f32Literal } from '../wgsl-types.ts';
import { ROW_WG, workgroupReduceFn } from './workgroup-reduce.ts';

/** Lines giving `${name}_base` and `${name}_step`: operand `id` at (row coords, j) is base + j * step. */
function rowOperand(w: KernelWriter, id: number, xShape: readonly Dim[], name: string): string[] {
  const s = w.shape(id);
  const lastBroadcasts = s.length === 0 || s.at(-1) === 1;
  return [`let ${name}_base = ${w.broadcastIndex(s, xShape, 'c')};`, `let ${name}_step = ${lastBroadcasts ? '0u' : '1u'};`];
}

/** Lines binding the row's coordinates c0..c(r-2) and c(r-1) = 0 (for broadcast bases). */
function rowCoords(w: KernelWriter, xShape: readonly Dim[]): string[] {
  return [...w.coords('row', xShape.slice(0, -1), 'c'), `let c${xShape.length - 1} = 0u;`];
}

/** Invocations per row: one subgroup where the target has them (CPU adapters), else ROW_WG. */
const rowWg = (w: KernelWriter) => w.target.subgroupSize ?? ROW_WG;

/**
 * A reduction `name(v, li) -> f32` over the row's invocations: subgroupAdd/Max where one subgroup
 * holds the row (no workgroup memory, no barriers), else a workgroup tree reduction.
 */
function rowReduceFn(w: KernelWriter, name: string, op: 'sum' | 'max'): string {
  if (w.target.subgroupSize) {
    w.useSubgroups();
    return `fn ${name}(v: f32, li: u32) -> f32 { return ${op === 'sum' ? 'subgroupAdd' : 'subgroupMax'}(v); }`;
  }
  return workgroupReduceFn(name, 'f32', op === 'sum' ? 'a + b' : 'max(a, b)');
}

function rowProgram(w: KernelWriter, label: string, xShape: readonly Dim[], code: string): KernelProgram {
  return {
    label,
    wgsl: w.module(label, code),
    bindings: w.specs(),
    grid: grid1d(xShape.slice(0, -1), 1, xShape.slice(-1)),
  };
}

function rowHeader(w: KernelWriter, xShape: readonly Dim[]): string {
  const L = w.dims.dim(xShape.at(-1)!);
  return `let L = ${L};
  let rows = select(${w.dims.product(xShape)} / L, 0u, L == 0u);
  let row = ${FLAT_GROUP};
  if (row >= rows) { return; }
  let start = row * L;`;
}

export function softmaxKernel(w: KernelWriter, k: { label: string; x: number; mask?: number; out: number; scale: number }): KernelProgram {
  w.bind(k.x, 'read');
  if (k.mask !== undefined) w.bind(k.mask, 'read');
  w.bind(k.out, 'read_write');
  const xs = w.shape(k.x);
  const score = [`var v = ${w.load(k.x, 'start + j')} * ${f32Literal(k.scale)};`];
  if (k.mask !== undefined) score.push(`v = v + ${w.load(k.mask, 'm_base + j * m_step')};`);
  const WG = rowWg(w);
  const code = `${rowReduceFn(w, 'wg_max', 'max')}
${rowReduceFn(w, 'wg_sum', 'sum')}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  ${rowHeader(w, xs)}
  ${k.mask !== undefined ? [...rowCoords(w, xs), ...rowOperand(w, k.mask, xs, 'm')].join('\n  ') : ''}
  var mx = f32_bits(0xff800000u);
  for (var j = li; j < L; j += ${WG}u) {
    ${score.join(' ')}
    mx = max(mx, v);
  }
  mx = wg_max(mx, li);
  let dead = mx == f32_bits(0xff800000u);
  var total = 0.0f;
  for (var j = li; j < L; j += ${WG}u) {
    ${score.join(' ')}
    total += select(exp(v - mx), 0.0f, dead);
  }
  total = wg_sum(total, li);
  for (var j = li; j < L; j += ${WG}u) {
    ${score.join(' ')}
    let p = select(exp(v - mx) / total, nan_f32(), total == 0.0f);
    ${w.store(k.out, 'start + j', 'p')}
  }
}`;
  return rowProgram(w, k.label, xs, code);
}

export interface LayerNormKernel {
  readonly label: string; readonly x: number; readonly residual?: number; readonly weight: number; readonly bias: number;
  readonly out: number; readonly sum?: number; readonly eps: number;
}

export function layerNormKernel(w: KernelWriter, k: LayerNormKernel): KernelProgram {
  w.bind(k.x, 'read');
  if (k.residual !== undefined) w.bind(k.residual, 'read');
  w.bind(k.weight, 'read');
  w.bind(k.bias, 'read');
  w.bind(k.out, 'read_write');
  if (k.sum !== undefined) w.bind(k.sum, 'read_write');
  const xs = w.shape(k.x);
  const value = k.residual !== undefined
    ? `let v = ${w.load(k.x, 'start + j')} + ${w.load(k.residual, 'r_base + j * r_step')};`
    : `let v = ${w.load(k.x, 'start + j')};`;
  const WG = rowWg(w);
  const code = `${rowReduceFn(w, 'wg_sum', 'sum')}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  ${rowHeader(w, xs)}
  ${k.residual !== undefined ? [...rowCoords(w, xs), ...rowOperand(w, k.residual, xs, 'r')].join('\n  ') : ''}
  var s = 0.0f;
  for (var j = li; j < L; j += ${WG}u) { ${value} s += v; }
  let mean = wg_sum(s, li) / f32(L);
  var q = 0.0f;
  for (var j = li; j < L; j += ${WG}u) { ${value} let d = v - mean; q += d * d; }
  let inv = inverseSqrt(wg_sum(q, li) / f32(L) + ${f32Literal(k.eps)});
  for (var j = li; j < L; j += ${WG}u) {
    ${value}
    ${w.store(k.out, 'start + j', `(v - mean) * inv * ${w.load(k.weight, 'j')} + ${w.load(k.bias, 'j')}`)}
    ${k.sum !== undefined ? w.store(k.sum, 'start + j', 'v') : ''}
  }
}`;
  return rowProgram(w, k.label, xs, code);
}
