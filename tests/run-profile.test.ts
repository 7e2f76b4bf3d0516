// Executable.profile, the playground's per-kernel timeline: on wasm (one and two threads) and
// WebGPU (Dawn) a profiled run gives the same outputs as run, one timing per kernel of the plan
// in order with the kernel's label, and kernel times that fit inside the run's wall time.

import { describe, expect, it } from 'vitest';
import { compileGraph } from '@smelt/compiler';
import { type Executable, getBackend } from '@smelt/backends';
import { PLAIN, block } from './hostile-names.ts';
import { describeWebGpu, expectClose } from './webgpu-suite.ts';

async function checkProfile(exe: Executable, what: string): Promise<void> {
  const m = block(PLAIN);
  const labels = compileGraph(m.graph).plan.kernels.map((k) => k.label);
  for (const [batch, seq] of [[1, 3], [2, 5]]) {
    const inputs = m.inputs(batch, seq);
    const want = await exe.run(inputs);
    const p = await exe.profile!(inputs);
    for (const [name, t] of want) expectClose(p.outputs.get(name), t, `${what} ${name} at ${batch}x${seq}`);
    expect(p.kernels.map((k) => k.label)).toEqual(labels);
    expect(p.kernels.map((k) => k.index)).toEqual(labels.map((_, i) => i));
    for (const k of p.kernels) expect(k.ms).toBeGreaterThanOrEqual(0);
    expect(p.kernels.reduce((s, k) => s + k.ms, 0)).toBeLessThanOrEqual(p.ms);
  }
}

describe('run profile', () => {
  for (const threads of [1, 2]) {
    it(`wasm, ${threads} thread(s)`, async () => {
      const m = block(PLAIN);
      const exe = await getBackend('wasm').compile(m.graph, m.weights, { threads } as object);
      try {
        await checkProfile(exe, `wasm ${threads}t`);
      } finally {
        exe.dispose();
      }
    });
  }
});

describeWebGpu('run profile on webgpu', () => {
  it('one submit per kernel, same outputs', { timeout: 120_000 }, async () => {
    const m = block(PLAIN);
    const exe = await getBackend('webgpu').compile(m.graph, m.weights);
    try {
      await checkProfile(exe, 'webgpu');
    } finally {
      exe.dispose();
    }
  });
});
