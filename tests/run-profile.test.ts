// Executable.profile, the playground's per-kernel timeline: on wasm (one and two threads) and
// WebGPU (Dawn) a profiled run gives the same outputs as run, one timing per kernel of the plan
// in order with the kernel's label, and kernel times that fit inside the run's wall time. A
// threaded build's profiled run computes every kernel even after a run spent its work counters.

import { describe, expect, it } from 'vitest';
import { compileGraph } from '@smelt/compiler';
import { type Executable, getBackend } from '@smelt/backends';
import { GraphBuilder, Var, input, tensor } from '@smelt/ir';
import { PLAIN, block } from './hostile-names.ts';
import { describeWebGpu, expectClose } from './webgpu-suite.ts';

async function checkProfile(exe: Executable, what: string): Promise<void> {
  const m = block(PLAIN);
  const labels = compileGraph(m.graph).plan.kernels.map((k) => k.label);
  for (const [batch, seq] of [[1, 3], [2, 5]]) {
    const inputs = m.inputs(batch, seq);
    // Profile first: a profiled run that computes nothing would otherwise pass, reading back the
    // outputs a run with the same inputs left in memory.
    const p = await exe.profile!(inputs);
    const want = await exe.run(inputs);
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

  it('wasm, 2 threads: a profile after a run with other inputs computes every kernel', async () => {
    const b = new GraphBuilder('gemm');
    const a = input(b, 'a', 'f32', ['m', 256]);
    b.output('c', a.matmul(new Var(b, b.param('w', 'f32', [256, 256]))).relu().value);
    const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
    const exe = await getBackend('wasm').compile(b.graph, new Map([['w', tensor('f32', [256, 256], data(256 * 256, 1))]]), { threads: 2 } as object);
    try {
      const inputs = (seed: number) => new Map([['a', tensor('f32', [128, 256], data(128 * 256, seed))]]);
      await exe.run(inputs(2));
      const p = await exe.profile!(inputs(3));
      expectClose(p.outputs.get('c'), (await exe.run(inputs(3))).get('c')!, 'wasm 2t gemm');
    } finally {
      exe.dispose();
    }
  });
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
