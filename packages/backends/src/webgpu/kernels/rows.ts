// The row kernel (softmax, log_softmax, the norms and their add-and-norm forms), rendered from the
// plan's row program: one workgroup per row, invocations striding the row and combining through
// workgroup reductions (on CPU adapters with subgroups: one subgroup per row and subgroup
// reductions), f32 accumulation. Each pass over the row (compiler/plan/row-schedule.ts) loads the
// operands again and recomputes the row value; row scalars are plain `let`s.

import { type Kernel, rowSchedule } from '@smelt/compiler';
import { type Dim, type Expr, rowDTypes, shapesEqual } from '@smelt/ir';
import { type KernelWriter, BUILTINS, FLAT_GROUP, grid1d } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { type Operand, renderExpr } from '../wgsl-expr.ts';
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

type RowKernel = Extract<Kernel, { kind: 'row' }>;

const REDUCE = {
  sum: { init: '0.0f', combine: (a: string, t: string) => `${a} + ${t}`, reduce: 'wg_sum' },
  mean: { init: '0.0f', combine: (a: string, t: string) => `${a} + ${t}`, reduce: 'wg_sum' },
  max: { init: 'f32_bits(0xff800000u)', combine: (a: string, t: string) => `max(${a}, ${t})`, reduce: 'wg_max' },
} as const;

/** The row kernel: one workgroup (or subgroup) per row; each pass recomputes the row value from the operands. */
export function rowKernel(w: KernelWriter, k: RowKernel): KernelProgram {
  const p = k.program;
  for (const id of k.inputs) w.bind(id, 'read');
  w.bind(k.out, 'read_write');
  if (k.value !== undefined) w.bind(k.value, 'read_write');
  const xs = w.shape(k.out);
  const full = k.inputs.map((id) => shapesEqual(w.shape(id), xs));
  const WG = rowWg(w);
  const types = rowDTypes(p);
  const names = types.map((dtype, m): Operand => ({ dtype, value: m < p.inputs ? `a${m}` : m === p.inputs ? 'v' : `s${m - p.inputs - 1}` }));
  const uses = (lines: readonly string[], name: string) => new RegExp(`\\b${name}\\b`).test(lines.join(' '));
  /** A loop over this invocation's elements of the row: operand loads and the value, then `body`. */
  const loop = (body: (prefix: string) => string[]) => {
    const lines = body('e');
    const value = renderExpr(p.value, names, 'ev');
    const needValue = uses(lines, 'v');
    const inner = [...(needValue ? [...value.lines, `let v = ${value.value};`] : []), ...lines];
    const loads = k.inputs.map((id, i) => (uses(inner, `a${i}`) ? `let a${i} = ${w.load(id, full[i] ? 'start + j' : `r${i}_base + j * r${i}_step`)};` : '')).filter(Boolean);
    return [`for (var j = li; j < L; j += ${WG}u) {`, ...[...loads, ...inner].map((l) => `  ${l}`), '}'];
  };
  const scalar = (kk: number, e: Expr) => {
    const r = renderExpr(e, names, `q${kk}_`);
    return [...r.lines, `let s${kk} = ${r.value};`];
  };
  const lines: string[] = [];
  const schedule = rowSchedule(p);
  const used = new Set<'sum' | 'max'>();
  for (const kk of schedule.leading) {
    const st = p.steps[kk];
    if (st.kind === 'scalar') lines.push(...scalar(kk, st.expr));
  }
  for (const ps of schedule.passes) {
    const reduces = ps.reduces.map((kk) => {
      const st = p.steps[kk];
      if (st.kind !== 'reduce') throw new Error('internal: not a reduce step');
      used.add(st.op === 'max' ? 'max' : 'sum');
      return { kk, op: st.op, term: st.term };
    });
    lines.push(...reduces.map((r) => `var acc${r.kk} = ${REDUCE[r.op].init};`));
    lines.push(...loop((prefix) => reduces.flatMap((r) => {
      const t = renderExpr(r.term, names, `${prefix}${r.kk}_`);
      return [...t.lines, `acc${r.kk} = ${REDUCE[r.op].combine(`acc${r.kk}`, t.value)};`];
    })));
    lines.push(...reduces.map((r) => `let s${r.kk} = ${REDUCE[r.op].reduce}(acc${r.kk}, li)${r.op === 'mean' ? ' / f32(L)' : ''};`));
    for (const kk of ps.scalars) {
      const st = p.steps[kk];
      if (st.kind === 'scalar') lines.push(...scalar(kk, st.expr));
    }
  }
  lines.push(...loop((prefix) => {
    const y = renderExpr(p.output, names, `${prefix}o`);
    return [...y.lines, w.store(k.out, 'start + j', y.value), ...(k.value === undefined ? [] : [w.store(k.value, 'start + j', 'v')])];
  }));
  const broadcast = k.inputs.map((id, i) => (full[i] ? [] : rowOperand(w, id, xs, `r${i}`))).flat();
  const code = `${used.has('max') ? rowReduceFn(w, 'wg_max', 'max') : ''}
${used.has('sum') ? rowReduceFn(w, 'wg_sum', 'sum') : ''}
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  ${rowHeader(w, xs)}
  ${broadcast.length ? [...rowCoords(w, xs), ...broadcast].join('\n  ') : ''}
  ${lines.join('\n  ')}
}`;
  return rowProgram(w, k.label, xs, code);
}
