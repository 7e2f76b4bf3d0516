// The WebGPU backend: compiles a graph to a kernel plan (arena aligned to 256 bytes, the binding
// offset alignment WebGPU guarantees), generates WGSL per kernel, creates the pipelines, uploads
// the weights, runs the prologue, and returns an executable. Registered as "webgpu"; the `webgpu`
// package (Dawn) is only loaded when this backend is asked for an adapter. `webgpuModuleFiles` gives
// the same kernels as the files of a folder with a standalone model.js (aot/).

import { type KernelPlan, compileGraph, lowerToPlan } from '@smelt/compiler';
import type { Graph } from '@smelt/ir';
import type { Backend, CompileOptions, TensorInputs } from '../backend.ts';
import { weightsDtypeOf } from '../quantize.ts';
import { checkGraph } from '../graph-checks.ts';
import { webgpuModuleFiles } from './aot/export.ts';
import { type CodegenOptions, WEBGPU_CAPABILITIES, generatePrograms } from './codegen.ts';
import type { CodegenTarget } from './kernel-writer.ts';
import { GpuDevice, webgpuUnavailable } from './device.ts';
import { GpuExecutable, type WebGpuExecutable } from './executable.ts';
import { ARENA_ALIGNMENT, GpuMemory } from './gpu-memory.ts';
import { PipelineCache } from './pipelines.ts';
import { requiredFeatures } from './precision.ts';
import { warmUpPipelines } from './warm-up.ts';

export type { WebGpuExecutable } from './executable.ts';
export type { RunStats } from './run-state.ts';
export type { KernelProgram } from './program.ts';
export { NO_ADAPTER_HINT } from './device.ts';
export { webgpuModuleFiles } from './aot/export.ts';
export type { Precision } from './precision.ts';

export interface WebGpuCompileOptions extends CompileOptions, CodegenOptions {}

/** The kernel plan the backend runs: optimized unless `optimize: false`. */
export function planFor(graph: Graph, options: WebGpuCompileOptions = {}): KernelPlan {
  const arena = { alignment: ARENA_ALIGNMENT };
  return options.optimize === false ? lowerToPlan(graph, arena) : compileGraph(graph, { arena }).plan;
}

/** A CPU adapter (lavapipe): SIMD lanes rather than GPU threads (see CodegenTarget). */
function isSoftware(adapter: GPUAdapter): boolean {
  return adapter.info?.architecture === 'software' || !!adapter.info?.description?.includes('llvmpipe');
}

/** The subgroup size when the device has subgroups and the adapter reports one fixed size of 4 to 16 lanes. */
function fixedSubgroupSize(gpu: GpuDevice): number | undefined {
  if (!gpu.device.features.has('subgroups')) return undefined;
  const info = gpu.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const size = info.subgroupMinSize;
  return size !== undefined && size === info.subgroupMaxSize && [4, 8, 16].includes(size) ? size : undefined;
}

export async function compileWebGpu(graph: Graph, weights: TensorInputs, options: WebGpuCompileOptions = {}): Promise<WebGpuExecutable> {
  checkGraph(graph, weights, options);
  weightsDtypeOf(options.weightsDtype);
  const plan = planFor(graph, options);
  const gpu = await GpuDevice.shared(requiredFeatures(options.precision), `precision ${options.precision}`, (a) => (isSoftware(a) ? ['subgroups'] : []));
  let memory: GpuMemory | undefined;
  try {
    const alignment = Math.max(ARENA_ALIGNMENT, gpu.limits.minStorageBufferOffsetAlignment);
    const software = isSoftware(gpu.adapter);
    const target: CodegenTarget = {
      maxComputeWorkgroupStorageSize: gpu.limits.maxComputeWorkgroupStorageSize, workgroupTiles: !software,
      ...(software ? { subgroupSize: fixedSubgroupSize(gpu) } : {}),
    };
    const programs = generatePrograms(plan, target, options);
    const pipelines = new PipelineCache(gpu);
    const warmedUp = await warmUpPipelines(gpu, pipelines, [...programs.prologue, ...programs.kernels], plan.symbols.length);
    const fixed = (memory = new GpuMemory(gpu, plan, alignment, programs.half, programs.quantized));
    await gpu.scoped('uploading weights', () => fixed.loadFixed(weights));
    const exe = new GpuExecutable(gpu, plan, programs, pipelines, fixed);
    exe.warmedUp = warmedUp;
    await exe.runPrologue();
    return exe;
  } catch (e) {
    memory?.destroy();
    throw e;
  }
}

export const webgpuBackend: Backend = {
  name: 'webgpu',
  description: 'WGSL compute shaders on WebGPU (navigator.gpu, or Dawn via the webgpu package in Node)',
  capabilities: WEBGPU_CAPABILITIES,
  unavailableReason: webgpuUnavailable,
  compile(graph: Graph, weights: TensorInputs, options?: WebGpuCompileOptions) {
    return compileWebGpu(graph, weights, options);
  },
  async exportFiles(graph: Graph, weights: TensorInputs, options?: WebGpuCompileOptions) {
    checkGraph(graph, weights, options);
    weightsDtypeOf(options?.weightsDtype);
    return webgpuModuleFiles(planFor(graph, options), weights, options);
  },
};
