// Compile-time warm-up of every compute pipeline: one dispatch of one workgroup each, on small
// scratch buffers with every symbol 0, in one pass and one submit. Creating a pipeline is not
// enough on every driver: lavapipe (llvmpipe) JIT-compiles a compute shader at its first dispatch,
// which put minutes of shader compilation into the first run of W-small (cold shader cache). After
// the warm-up a run creates and compiles nothing (RunStats.pipelinesCreated is 0). The scratch
// dispatches read and write only the scratch buffers (out-of-range accesses are clamped by WebGPU's
// robust buffer access), which are destroyed afterwards.

import type { GpuDevice } from './device.ts';
import type { PipelineCache } from './pipelines.ts';
import { uniformBytes } from './portable-host.ts';
import type { KernelProgram } from './program.ts';

const STORAGE = 0x80, UNIFORM = 0x40, COPY_DST = 0x08;
const SCRATCH_BYTES = 256;

/**
 * Create every distinct pipeline of `programs` and dispatch once those not yet dispatched on this
 * device; returns how many of them are warm (all, unless it throws).
 */
export async function warmUpPipelines(gpu: GpuDevice, pipelines: PipelineCache, programs: readonly KernelProgram[], symbolCount: number): Promise<number> {
  const all = [...new Map(programs.map((p) => [p.wgsl, p])).values()];
  await Promise.all(all.map((p) => pipelines.get(p)));
  const distinct = all.filter((p) => !gpu.warm.has(p.wgsl));
  if (distinct.length === 0) return all.length;
  const { device } = gpu;
  const uniform = device.createBuffer({ size: uniformBytes(symbolCount), usage: UNIFORM | COPY_DST, label: 'warm-up symbols' });
  const most = Math.max(...distinct.map((p) => p.bindings.length));
  const scratch = Array.from({ length: most }, (_, i) => device.createBuffer({ size: SCRATCH_BYTES, usage: STORAGE, label: `warm-up ${i}` }));
  try {
    const compiled = await Promise.all(distinct.map((p) => pipelines.get(p)));
    await gpu.scoped('warming up the pipelines', () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      distinct.forEach((p, i) => {
        const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }, ...p.bindings.map((_, j) => ({ binding: j + 1, resource: { buffer: scratch[j] } }))];
        pass.setPipeline(compiled[i].pipeline);
        pass.setBindGroup(0, device.createBindGroup({ layout: compiled[i].layout, entries }));
        pass.dispatchWorkgroups(1);
      });
      pass.end();
      device.queue.submit([encoder.finish()]);
    });
    await gpu.orLost(device.queue.onSubmittedWorkDone());
    for (const p of distinct) gpu.warm.add(p.wgsl);
    return all.length;
  } finally {
    uniform.destroy();
    for (const b of scratch) b.destroy();
  }
}
