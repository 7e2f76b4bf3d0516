// The WebGPU backend against the reference interpreter: every op kind of the op table (OP_KINDS,
// the cases of op-cases.ts at both symbol bindings) on the raw graph and on the optimized graph,
// every matmul template, one executable across sequence lengths, and one queue.submit per run.

import { expect, it } from 'vitest';
import { GraphBuilder, OP_KINDS, Var, input, interpret } from '@smelt/ir';
import { compileWebGpu } from '../packages/backends/src/webgpu/index.ts';
import { CASES, ENVS, type OpCase, make } from './op-cases.ts';
import { describeWebGpu, expectClose } from './webgpu-suite.ts';

async function check(c: OpCase, options: Parameters<typeof compileWebGpu>[2]): Promise<void> {
  const exe = await compileWebGpu(c.graph, c.weights, options);
  try {
    for (const env of ENVS) {
      const inputs = c.inputs(env);
      const want = interpret(c.graph, inputs, c.weights);
      const got = await exe.run(inputs);
      for (const [name, t] of want) expectClose(got.get(name), t, `${c.name} (${JSON.stringify(options)}, n=${env.n}, m=${env.m}) output ${name}`);
    }
  } finally {
    exe.dispose();
  }
}

describeWebGpu('webgpu backend: every op kind vs the interpreter', () => {
  for (const kind of OP_KINDS) {
    it(kind, { timeout: 180_000 }, async () => {
      const cases = CASES[kind]();
      expect(cases.length, `${kind} has cases`).toBeGreaterThan(0);
      for (const c of cases) {
        await check(c, { optimize: false });
        await check(c, { optimize: true });
        if (kind === 'matmul' || kind === 'linear') {
          await check(c, { optimize: false, matmul: 'registers' });
          await check(c, { optimize: false, matmul: 'workgroup' });
          await check(c, { optimize: false, matmul: 'gemv' });
        }
      }
    });
  }
});

describeWebGpu('webgpu backend: row-vector matmuls (a decoding step) on a CPU adapter', () => {
  // [batch, 1, K] against a weight, both transB flags, K past the unrolled steps with a tail (260)
  // and K under one subgroup step (37), a bias epilogue: auto picks the gemv template where the
  // adapter has fixed-size subgroups (lavapipe), and it agrees with the interpreter at batch 1 and 3.
  for (const K of [260, 37]) {
    it(`K = ${K}`, { timeout: 180_000 }, async () => {
      const b = new GraphBuilder('row_vector_matmuls');
      const x = input(b, 'x', 'f32', ['batch', 1, K]);
      const wt = new Var(b, b.param('wt', 'f32', [70, K]));
      const w = new Var(b, b.param('w', 'f32', [K, 70]));
      const c = new Var(b, b.param('c', 'f32', [70]));
      b.output('y', new Var(b, b.emit('linear', [x.value, wt.value, c.value], { transB: true, epilogue: 'add($0, $1)' })[0]).value);
      b.output('z', x.matmul(w).value);
      const weights = new Map([['wt', make('f32', [70, K])], ['w', make('f32', [K, 70])], ['c', make('f32', [70])]]);
      const exe = await compileWebGpu(b.graph, weights);
      try {
        if (exe.programs.kernels.some((p) => p.wgsl.includes('enable subgroups'))) {
          expect(exe.programs.kernels.filter((p) => p.wgsl.includes('subgroupAdd(acc0)'))).toHaveLength(2);
        }
        for (const batch of [1, 3]) {
          const inputs = new Map([['x', make('f32', [batch, 1, K])]]);
          const got = await exe.run(inputs);
          for (const [name, t] of interpret(b.graph, inputs, weights)) expectClose(got.get(name), t, `batch ${batch} output ${name}`);
        }
      } finally {
        exe.dispose();
      }
    });
  }
});

describeWebGpu('webgpu backend: runs', () => {
  const [c] = CASES.attention();

  it('serves several sequence lengths from one executable', async () => {
    const exe = await compileWebGpu(c.graph, c.weights);
    try {
      for (const [n, m] of [[5, 37], [9, 70], [3, 2], [5, 37]]) {
        const inputs = new Map([
          ['q', make('f32', [2, 3, n, 8])], ['k', make('f32', [2, 3, m, 8])], ['v', make('f32', [2, 3, m, 4])],
          ['mask', make('f32', [2, 1, 1, m], (i) => (i % 4 === 0 ? -Infinity : 0))],
        ]);
        const got = await exe.run(inputs);
        expectClose(got.get('y'), interpret(c.graph, inputs, c.weights).get('y')!, `n=${n} m=${m}`);
      }
    } finally {
      exe.dispose();
    }
  });

  it('submits once per run, uploads only the inputs and reads back only the outputs', async () => {
    const exe = await compileWebGpu(c.graph, c.weights);
    const queue = (globalThis as unknown as { GPUQueue: { prototype: { submit: (...a: unknown[]) => unknown } } }).GPUQueue.prototype;
    const original = queue.submit;
    let submits = 0;
    queue.submit = function (this: unknown, ...args: unknown[]) { submits++; return original.apply(this, args); };
    try {
      const inputs = c.inputs(ENVS[0]);
      await exe.run(inputs);
      const out = await exe.run(inputs);
      expect(submits).toBe(2);
      const inputBytes = [...inputs.values()].reduce((s, t) => s + t.data.byteLength, 0);
      const outputBytes = [...out.values()].reduce((s, t) => s + 4 * t.data.length, 0);
      expect(exe.lastRun).toEqual({ dispatches: exe.plan.kernels.length, passes: 1, submits: 1, bytesUploaded: inputBytes, bytesReadBack: outputBytes, pipelinesCreated: 0 });
    } finally {
      queue.submit = original;
      exe.dispose();
    }
  });

  it('creates and warms up every pipeline at compile time: no run creates one', async () => {
    const att = CASES.attention()[1];
    const exe = await compileWebGpu(att.graph, att.weights, { optimize: false });
    try {
      const distinct = new Set([...exe.programs.prologue, ...exe.programs.kernels].map((p) => p.wgsl)).size;
      expect(exe.pipelineCount).toBe(distinct);
      expect(exe.warmedUp).toBe(distinct);
      for (const env of ENVS) {
        await exe.run(att.inputs(env));
        expect(exe.lastRun?.pipelinesCreated, `first run at n=${env.n}`).toBe(0);
      }
      expect(exe.pipelineCount).toBe(distinct);
    } finally {
      exe.dispose();
    }
  });

  it('rejects a wrong input with the interpreter-style message', async () => {
    const exe = await compileWebGpu(c.graph, c.weights);
    try {
      await expect(exe.run(new Map())).rejects.toThrow(/missing input "q": expected f32\[2, 3, n, 8\]/);
    } finally {
      exe.dispose();
    }
  });
});
