// The per-kernel profile of smelt's rows (wasm, webgpu): one workload run with Executable.profile,
// each kernel timed alone, summed by kernel kind (gemm, attention, rows, movement, elementwise,
// other) with its share of the kernels' time and its GFLOP/s (FLOPs from the compiler's
// kernelFlops). The grouping is one exhaustive table over the plan's kernel kinds, so a new kind
// fails tsc until it is placed here. Printed under each workload's table and kept in the results.

import type { KernelKind } from '@smelt/compiler';

export const KERNEL_GROUPS = ['gemm', 'attention', 'rows', 'movement', 'elementwise', 'other'] as const;
export type KernelGroup = (typeof KERNEL_GROUPS)[number];

/** The group of every kernel kind of the plan. */
export const GROUP_OF_KIND = {
  matmul: 'gemm',
  attention: 'attention',
  row: 'rows',
  transpose: 'movement',
  slice: 'movement',
  dynamic_slice: 'movement',
  concat: 'movement',
  gather: 'movement',
  pad: 'movement',
  elementwise: 'elementwise',
  rope: 'elementwise',
  conv1d: 'gemm',
  reduce: 'other',
  cumsum: 'other',
  topk: 'other',
  iota: 'other',
} as const satisfies Record<KernelKind, KernelGroup>;

/** What a group's line says it holds. */
const GROUP_TITLE: Record<KernelGroup, string> = {
  gemm: 'gemm/linear',
  attention: 'attention',
  rows: 'rows',
  movement: 'movement',
  elementwise: 'elementwise',
  other: 'other',
};

/** One kernel's time in a profiled run, with its kind and analytic FLOPs. */
export interface KernelSample {
  readonly kind: KernelKind;
  readonly ms: number;
  readonly flops: number;
}

export interface GroupTime {
  readonly group: KernelGroup;
  /** Kernel launches of this group in the run (a decoding run launches every step's kernels). */
  readonly kernels: number;
  readonly ms: number;
  /** ms ÷ the kernels' summed time. */
  readonly share: number;
  readonly flops: number;
}

export interface KernelProfile {
  /** Wall time of the profiled workload run (each kernel waited for: slower than a timed run). */
  readonly runMs: number;
  /** Sum of the kernels' own times. */
  readonly kernelMs: number;
  /** Every group that ran at least one kernel, in KERNEL_GROUPS order. */
  readonly groups: readonly GroupTime[];
}

/** Sums kernel samples by group. */
export function aggregateProfile(samples: readonly KernelSample[], runMs: number): KernelProfile {
  const sums = new Map<KernelGroup, { kernels: number; ms: number; flops: number }>();
  for (const s of samples) {
    const g = GROUP_OF_KIND[s.kind];
    const sum = sums.get(g) ?? { kernels: 0, ms: 0, flops: 0 };
    sum.kernels++;
    sum.ms += s.ms;
    sum.flops += s.flops;
    sums.set(g, sum);
  }
  const kernelMs = samples.reduce((t, s) => t + s.ms, 0);
  const groups = KERNEL_GROUPS.flatMap((group) => {
    const s = sums.get(group);
    return s ? [{ group, ...s, share: kernelMs > 0 ? s.ms / kernelMs : 0 }] : [];
  });
  return { runMs, kernelMs, groups };
}

function gflops(flops: number, ms: number): string {
  if (flops === 0) return '—';
  return ms > 0 ? (flops / ms / 1e6).toFixed(2) : '∞';
}

/** The block printed under a workload's table for one engine's profile. */
export function renderProfile(engine: string, p: KernelProfile): string {
  const head = `${engine} by kernel kind (one profiled run, each kernel timed alone: kernels ${p.kernelMs.toFixed(1)} ms of a ${p.runMs.toFixed(1)} ms run)`;
  const cols = ['kind', 'kernels', 'ms', 'share', 'GFLOP/s'];
  const lines = p.groups.map((g) => [GROUP_TITLE[g.group], String(g.kernels), g.ms.toFixed(2), `${(100 * g.share).toFixed(1)}%`, gflops(g.flops, g.ms)]);
  const widths = cols.map((c, i) => Math.max(c.length, ...lines.map((l) => l[i].length)));
  const align = (l: readonly string[]) => '  ' + l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [head, align(cols), ...lines.map(align)].join('\n');
}
