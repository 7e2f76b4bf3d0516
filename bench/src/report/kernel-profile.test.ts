// The per-kernel profile of smelt's rows: kernels grouped by kind, summed, shared and turned into
// GFLOP/s; the block printed under a workload's table; and a real profiled wasm run whose samples
// pair with the plan's kernels and whose FLOPs add up to the compiler's own count.

import { describe, expect, it } from 'vitest';
import { getBackend } from '@smelt/backends';
import { compileGraph, planStats } from '@smelt/compiler';
import { block, PLAIN } from '../../../tests/hostile-names.ts';
import { planEnv, profileRun } from '../engines/smelt-profile.ts';
import { summarize } from './stats.ts';
import { renderWorkload } from './table.ts';
import { GROUP_OF_KIND, aggregateProfile, renderProfile } from './kernel-profile.ts';

describe('kernel profile', () => {
  it('groups kernel kinds: gemm, attention, rows, movement, elementwise, other', () => {
    expect(GROUP_OF_KIND).toEqual({
      matmul: 'gemm', attention: 'attention', row: 'rows', transpose: 'movement', slice: 'movement', dynamic_slice: 'movement',
      concat: 'movement', gather: 'movement', pad: 'movement', elementwise: 'elementwise', rope: 'elementwise',
      conv1d: 'gemm', reduce: 'other', cumsum: 'other', topk: 'other', iota: 'other',
    });
  });

  it('sums by group, in a fixed order, with shares of the kernels\' time and FLOPs', () => {
    const p = aggregateProfile([
      { kind: 'elementwise', ms: 1, flops: 1e6 },
      { kind: 'matmul', ms: 4, flops: 8e9 },
      { kind: 'transpose', ms: 2, flops: 0 },
      { kind: 'matmul', ms: 2, flops: 4e9 },
      { kind: 'gather', ms: 1, flops: 0 },
    ], 12);
    expect(p).toEqual({
      runMs: 12, kernelMs: 10,
      groups: [
        { group: 'gemm', kernels: 2, ms: 6, share: 0.6, flops: 12e9 },
        { group: 'movement', kernels: 2, ms: 3, share: 0.3, flops: 0 },
        { group: 'elementwise', kernels: 1, ms: 1, share: 0.1, flops: 1e6 },
      ],
    });
    expect(aggregateProfile([], 3)).toEqual({ runMs: 3, kernelMs: 0, groups: [] });
  });

  it('prints one line per group under the workload table', () => {
    const profile = aggregateProfile([
      { kind: 'matmul', ms: 4, flops: 8e9 }, { kind: 'attention', ms: 1, flops: 1e9 }, { kind: 'slice', ms: 0, flops: 0 },
    ], 6.5);
    const block = renderProfile('smelt-wasm', profile);
    expect(block).toBe([
      'smelt-wasm by kernel kind (one profiled run, each kernel timed alone: kernels 5.0 ms of a 6.5 ms run)',
      '  kind         kernels    ms  share  GFLOP/s',
      '  gemm/linear        1  4.00  80.0%  2000.00',
      '  attention          1  1.00  20.0%  1000.00',
      '  movement           1  0.00   0.0%        —',
    ].join('\n'));
    const times = [5, 6];
    const rows = [
      { engine: 'smelt-wasm', group: 'smelt' as const, status: 'ok' as const, times, summary: summarize(times), profile },
      { engine: 'ort-node-1t', group: 'peer' as const, status: 'ok' as const, times, summary: summarize(times) },
    ];
    const text = renderWorkload({ id: 'w', title: 'W', flops: 1e9, loadAverage: [1, 1], rows }, 2);
    expect(text.endsWith(`\n${block}`)).toBe(true);
    expect(text.split('by kernel kind')).toHaveLength(2);
  });

  it('pairs a profiled wasm run with the plan: kinds and FLOPs as the compiler counts them', async () => {
    const m = block(PLAIN);
    const plan = compileGraph(m.graph).plan;
    const exe = await getBackend('wasm').compile(m.graph, m.weights);
    try {
      const inputs = m.inputs(2, 5);
      const { outputs, samples } = await profileRun('block', plan, exe, inputs);
      expect([...outputs.keys()].sort()).toEqual([...(await exe.run(inputs)).keys()].sort());
      expect(samples.map((s) => s.kind)).toEqual(plan.kernels.map((k) => k.kind));
      const env = planEnv(plan, inputs);
      expect(env.size).toBeGreaterThan(0);
      const flops = samples.reduce((t, s) => t + s.flops, 0);
      expect(flops).toBeGreaterThan(0);
      expect(flops).toBe(planStats(compileGraph(m.graph).graph, plan, env).flops);
      await expect(profileRun('block', { ...plan, kernels: plan.kernels.slice(1) }, exe, inputs)).rejects.toThrow(/graph "block": profiled kernel 0 .* is not the plan's/);
    } finally {
      exe.dispose();
    }
  });
});
