// Kernel samples of one profiled run of a smelt part: Executable.profile's per-kernel times paired
// with the kernels of the part's plan (the same compileGraph the wasm and webgpu backends run),
// each with its kind and its FLOPs at the run's symbol values (the compiler's kernelFlops).

import type { Executable, RunInputs } from '@smelt/backends';
import { type KernelPlan, kernelFlops } from '@smelt/compiler';
import { type Tensor, bindShape } from '@smelt/ir';
import type { KernelSample } from '../report/kernel-profile.ts';

function inputMap(inputs: RunInputs): ReadonlyMap<string, Tensor> {
  return inputs instanceof Map ? inputs : new Map(Object.entries(inputs as Readonly<Record<string, Tensor>>));
}

/** The symbol values of a run: every input buffer's declared shape bound to the given tensor's. */
export function planEnv(plan: KernelPlan, inputs: RunInputs): Map<string, number> {
  const given = inputMap(inputs);
  const env = new Map<string, number>();
  for (const b of plan.buffers) {
    if (b.storage.kind !== 'input') continue;
    const t = given.get(b.storage.name);
    if (t) bindShape(b.storage.name, b.shape, t.shape, env);
  }
  return env;
}

/** Runs `exe.profile` once; the outputs, and one sample per kernel of `plan`. */
export async function profileRun(graphName: string, plan: KernelPlan, exe: Executable, inputs: RunInputs): Promise<{ outputs: Map<string, Tensor>; samples: KernelSample[] }> {
  if (!exe.profile) throw new Error(`graph "${graphName}": this executable has no profile()`);
  const p = await exe.profile(inputs);
  const env = planEnv(plan, inputs);
  const samples = p.kernels.map((t) => {
    const k = plan.kernels[t.index];
    if (!k || k.label !== t.label) {
      throw new Error(`graph "${graphName}": profiled kernel ${t.index} "${t.label}" is not the plan's ("${k?.label ?? 'none'}"): the bench's plan differs from the backend's`);
    }
    return { kind: k.kind, ms: t.ms, flops: kernelFlops(plan, k, env) };
  });
  return { outputs: p.outputs, samples };
}
