// Every registered backend against the reference interpreter on the one table of op cases
// (op-cases.ts: every op kind of the op table, OP_KINDS, so a kind without cases fails here), each
// executable run at two symbol values. Code-generating backends run the compiler's plan
// (compileGraph + emit + load) and the raw graph's plan; floats agree to 1e-4, the rest exactly.
// Last, a plan with a kernel kind a backend has no code for is refused, naming the kind.

import { describe, expect, it } from 'vitest';
import { OP_KINDS, type Tensor, interpret } from '@smelt/ir';
import { type Kernel, type KernelPlan, compileGraph } from '@smelt/compiler';
import { type Executable, backendNames, getBackend, isEmitting } from '@smelt/backends';
import { generatePrograms, PORTABLE_TARGET } from '../packages/backends/src/webgpu/codegen.ts';
import { CASES, ENVS, type OpCase, make } from './op-cases.ts';

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

function expectClose(got: Tensor | undefined, want: Tensor, what: string): void {
  expect(got, `${what}: missing`).toBeDefined();
  expect([got!.dtype, got!.shape], `${what}: type`).toEqual([want.dtype, want.shape]);
  const [g, w] = [values(got!), values(want)];
  const float = want.dtype === 'f32';
  for (let i = 0; i < w.length; i++) {
    const ok = Object.is(g[i], w[i]) || g[i] === w[i] || (float && Math.abs(g[i] - w[i]) <= 1e-4 * Math.max(1, Math.abs(w[i])));
    if (!ok) expect.fail(`${what}: element ${i} is ${g[i]}, the interpreter says ${w[i]} (shape [${want.shape}])`);
  }
}

/** The executables a backend makes of a case: its compiler plan and its raw-graph plan. */
async function executables(name: string, c: OpCase): Promise<[string, Executable][]> {
  const backend = getBackend(name);
  if (!isEmitting(backend)) return Promise.all([false, true].map(async (o) => [`optimize ${o}`, await backend.compile(c.graph, c.weights, { optimize: o })] as [string, Executable]));
  const plan = compileGraph(c.graph, { verifyEach: true }).plan;
  return [['compileGraph', await backend.load(backend.emit(plan), c.weights)], ['raw graph', await backend.compile(c.graph, c.weights, { optimize: false })]];
}

const NAMES = backendNames();
const UNAVAILABLE = new Map(await Promise.all(NAMES.map(async (n) => [n, await getBackend(n).unavailableReason()] as const)));

describe.each(NAMES)('backend %s', (name) => {
  const why = UNAVAILABLE.get(name);
  if (why) console.warn(`[backend-suite] skipping ${name}: ${why}`);

  it('has cases for every op kind', () => {
    for (const kind of OP_KINDS) expect(CASES[kind]().length, kind).toBeGreaterThan(0);
  });

  it.skipIf(why !== undefined).each(OP_KINDS.map((k) => [k]))('%s matches the interpreter at two symbol values', async (kind) => {
    for (const c of CASES[kind]()) {
      for (const [how, exe] of await executables(name, c)) {
        try {
          for (const env of ENVS) {
            const inputs = c.inputs(env);
            const want = interpret(c.graph, inputs, c.weights);
            const got = await exe.run(inputs);
            for (const [out, t] of want) expectClose(got.get(out), t, `${c.name} (${how}, n=${env.n}, m=${env.m}) output ${out}`);
          }
        } finally {
          exe.dispose();
        }
      }
    }
  });

  it.skipIf(why !== undefined)('rejects bad inputs like the interpreter', async () => {
    const c = CASES.matmul()[0];
    const [[, exe]] = await executables(name, c);
    const good = c.inputs(ENVS[0]);
    const bad = (k: string, t: Tensor | undefined) => exe.run(new Map([...good].map(([n, v]) => [n, n === k ? t! : v] as [string, Tensor]).filter(([, v]) => v)));
    await expect(bad('a', undefined)).rejects.toThrow(/missing input "a"/);
    await expect(bad('a', make('i32', [2, 5, 7]))).rejects.toThrow(/input "a": expected dtype f32/);
    await expect(bad('a', make('f32', [2, 5, 8]))).rejects.toThrow(/input "a": expected shape \[2, n, 7\], got \[2, 5, 8\]/);
    await expect(bad('c', make('f32', [7, 13, 1]))).rejects.toThrow(/input "c": expected shape/);
    exe.dispose();
    const att = CASES.attention()[1];
    const [[, exe2]] = await executables(name, att);
    const inputs = att.inputs(ENVS[0]);
    inputs.set('k', make('f32', [3, 4, 6]));
    await expect(exe2.run(inputs)).rejects.toThrow(/input "k": expected shape \[3, n, 6\], got \[3, 4, 6\] \(n is already 5\)/);
    exe2.dispose();
  });
});

/** The plan of a case with its first kernel renamed to a kind no backend has. */
function planWithUnknownKernel(): KernelPlan {
  const plan = compileGraph(CASES.softmax()[0].graph).plan;
  const [first, ...rest] = plan.kernels;
  return { ...plan, kernels: [{ ...first, kind: 'conv2d', label: 'conv' } as unknown as Kernel, ...rest] };
}

describe('capabilities', () => {
  it.each(NAMES.filter((n) => isEmitting(getBackend(n))))('%s declares the kernel kinds it renders and refuses a plan needing another', (name) => {
    const backend = getBackend(name);
    if (!isEmitting(backend)) return;
    expect(backend.capabilities.kernels).toEqual(expect.arrayContaining(['elementwise', 'matmul', 'attention', 'row']));
    expect(() => backend.emit(planWithUnknownKernel())).toThrow(`backend "${name}" has no conv2d kernel (needed by conv)`);
  });

  it('webgpu refuses it before writing any WGSL', () => {
    expect(() => generatePrograms(planWithUnknownKernel(), PORTABLE_TARGET)).toThrow('backend "webgpu" has no conv2d kernel (needed by conv)');
  });
});
