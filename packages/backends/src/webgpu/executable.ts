// The WebGPU executable: runs the prologue once at load, then each forward pass as one command
// encoder with one compute pass (WebGPU orders storage writes between dispatches of a pass), the
// output copies, and one queue.submit; only the outputs are read back. Everything that depends on
// symbol values (arena layout, binding ranges, bind groups, grids, the symbol uniform, the
// readback buffer) is built once per set of values and cached; nothing is allocated per run.

import type { KernelPlan } from '@smelt/compiler';
import { type SymbolEnv, type Tensor, resolveShape } from '@smelt/ir';
import type { Executable, RunInputs, RunProfile } from '../backend.ts';
import { checkInputs, inputOf } from '../input-check.ts';
import { computeDims } from '../render/computed-dims.ts';
import type { PlanPrograms } from './codegen.ts';
import type { GpuDevice } from './device.ts';
import { type ArenaLayout, type Location, GpuMemory, bindingBytes } from './gpu-memory.ts';
import { fromGpuBytes, toGpuArray } from './host-tensors.ts';
import type { PipelineCache } from './pipelines.ts';
import { gridSize, uniformBytes, uniformWords } from './portable-host.ts';
import type { KernelProgram } from './program.ts';

const UNIFORM = 0x40, COPY_DST = 0x08, MAP_READ = 0x01, MAP_MODE_READ = 0x1;
const MAX_CACHED_ENVS = 8;

/** What the last run did on the GPU. */
export interface RunStats {
  readonly dispatches: number;
  readonly passes: number;
  readonly submits: number;
  /** Bytes written to the GPU during the run (the inputs only). */
  readonly bytesUploaded: number;
}

export interface WebGpuExecutable extends Executable {
  readonly plan: KernelPlan;
  readonly programs: PlanPrograms;
  /** Distinct compute pipelines (identical kernels share one). */
  readonly pipelineCount: number;
  readonly lastRun: RunStats | undefined;
}

interface Step { readonly pipeline: GPUComputePipeline; readonly bindGroup: GPUBindGroup; readonly grid: [number, number, number] }
interface OutputRead { readonly name: string; readonly dtype: Tensor['dtype']; readonly shape: number[]; readonly from: Location; readonly at: number }
interface EnvState { readonly uniform: GPUBuffer; readonly steps: Step[]; readonly staging: GPUBuffer; readonly outputs: OutputRead[] }

export class GpuExecutable implements WebGpuExecutable {
  lastRun: RunStats | undefined;
  private readonly states = new Map<string, EnvState>();
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly gpu: GpuDevice, readonly plan: KernelPlan, readonly programs: PlanPrograms,
    private readonly pipelines: PipelineCache, private readonly memory: GpuMemory,
  ) {}

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Compute the derived weights: one submit at load. */
  async runPrologue(): Promise<void> {
    if (this.programs.prologue.length === 0) return;
    const env = new Map<string, number>();
    const state = await this.buildState(env, this.programs.prologue, { size: 0, offsets: new Map() }, false);
    await this.gpu.scoped('prologue', () => this.encodeAndSubmit(state));
    await this.gpu.orLost(this.gpu.device.queue.onSubmittedWorkDone());
    state.uniform.destroy();
  }

  run(inputs: RunInputs): Promise<Map<string, Tensor>> {
    const next = this.chain.then(() => this.runOnce(inputs));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** One run with each kernel in its own submit, timed from submit to the queue's work done. */
  profile(inputs: RunInputs): Promise<RunProfile> {
    const next = this.chain.then(async () => {
      const t0 = performance.now();
      const kernels: { index: number; label: string; ms: number }[] = [];
      const outputs = await this.runOnce(inputs, async (state) => {
        const queue = this.gpu.device.queue;
        let dispatches = 0;
        for (const [index, s] of state.steps.entries()) {
          const t = performance.now();
          dispatches += this.encodeAndSubmit({ ...state, steps: [s], outputs: [] });
          await this.gpu.orLost(queue.onSubmittedWorkDone());
          kernels.push({ index, label: this.plan.kernels[index].label, ms: performance.now() - t });
        }
        return dispatches + this.encodeAndSubmit({ ...state, steps: [] });
      });
      return { outputs, kernels, ms: performance.now() - t0 };
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runOnce(inputs: RunInputs, submit?: (state: EnvState) => Promise<number>): Promise<Map<string, Tensor>> {
    if (this.disposed) throw new Error('webgpu: executable used after dispose()');
    this.gpu.check();
    const env = checkInputs(this.plan.contract, inputs);
    computeDims(env, this.plan.symbols, this.plan.computed);
    const state = await this.state(env);
    let uploaded = 0;
    for (const { name } of this.plan.inputs) {
      const data = toGpuArray(inputOf(inputs, name) as Tensor, `input "${name}"`);
      if (data.byteLength) this.gpu.device.queue.writeBuffer(this.memory.inputBuffer(name), 0, data.buffer, data.byteOffset, data.byteLength);
      uploaded += data.byteLength;
    }
    this.gpu.device.pushErrorScope('validation');
    const dispatches = submit ? await submit(state) : this.encodeAndSubmit(state);
    const validation = this.gpu.device.popErrorScope();
    const mapped = state.staging.mapAsync(MAP_MODE_READ).then(() => undefined, (e: Error) => e);
    const [invalid, unmappable] = await this.gpu.orLost(Promise.all([validation, mapped]));
    if (invalid || unmappable) {
      if (!unmappable) state.staging.unmap();
      throw new Error(`webgpu: run failed: ${(invalid ?? unmappable)!.message}`);
    }
    const outputs = this.readOutputs(state);
    this.gpu.check();
    this.lastRun = { dispatches, passes: 1, submits: 1, bytesUploaded: uploaded };
    return outputs;
  }

  private async state(env: SymbolEnv): Promise<EnvState> {
    const key = this.plan.symbols.map((s) => env.get(s)).join(',');
    const layout = this.memory.layout(env);
    if (this.memory.ensure(env, layout)) this.dropStates();
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= MAX_CACHED_ENVS) this.dropStates();
      state = await this.buildState(env, this.programs.kernels, layout, true);
      this.states.set(key, state);
    }
    return state;
  }

  private dropStates(): void {
    for (const s of this.states.values()) { s.uniform.destroy(); s.staging.destroy(); }
    this.states.clear();
  }

  private async buildState(env: SymbolEnv, programs: readonly KernelProgram[], layout: ArenaLayout, withOutputs: boolean): Promise<EnvState> {
    const { device, limits } = this.gpu;
    const uniform = device.createBuffer({ size: uniformBytes(this.plan.symbols.length), usage: UNIFORM | COPY_DST, label: 'symbols' });
    device.queue.writeBuffer(uniform, 0, uniformWords(this.plan.symbols, env));
    const steps = await Promise.all(programs.map(async (p): Promise<Step> => {
      const { pipeline, layout: bgl } = await this.pipelines.get(p);
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
      p.bindings.forEach((b, i) => {
        const loc = this.memory.locate(b.buffer, env, layout);
        const size = bindingBytes(loc.bytes);
        if (size > limits.maxStorageBufferBindingSize) {
          throw new Error(`webgpu: kernel "${p.label}" binds ${size} bytes; maxStorageBufferBindingSize available is ${limits.maxStorageBufferBindingSize}`);
        }
        entries.push({ binding: i + 1, resource: { buffer: loc.buffer, offset: loc.offset, size } });
      });
      const grid = gridSize(p.grid, env);
      if (grid.some((g) => g > limits.maxComputeWorkgroupsPerDimension)) {
        throw new Error(`webgpu: kernel "${p.label}" needs a grid of [${grid}] workgroups; maxComputeWorkgroupsPerDimension available is ${limits.maxComputeWorkgroupsPerDimension}`);
      }
      return { pipeline, bindGroup: device.createBindGroup({ layout: bgl, entries }), grid };
    }));
    const outputs: OutputRead[] = [];
    let at = 0;
    for (const o of withOutputs ? this.plan.outputs : []) {
      const b = this.plan.buffers[o.buffer];
      const from = this.memory.locate(o.buffer, env, layout);
      outputs.push({ name: o.name, dtype: b.dtype, shape: resolveShape(b.shape, env), from, at });
      at += from.bytes;
    }
    const staging = device.createBuffer({ size: Math.max(at, 16), usage: MAP_READ | COPY_DST, label: 'readback' });
    return { uniform, steps, staging, outputs };
  }

  /** One encoder, one compute pass, the output copies, one submit. Returns the dispatch count. */
  private encodeAndSubmit(state: EnvState): number {
    const encoder = this.gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    let dispatches = 0;
    for (const s of state.steps) {
      if (s.grid.some((g) => g === 0)) continue;
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(...s.grid);
      dispatches++;
    }
    pass.end();
    for (const o of state.outputs) {
      if (o.from.bytes) encoder.copyBufferToBuffer(o.from.buffer, o.from.offset, state.staging, o.at, o.from.bytes);
    }
    this.gpu.device.queue.submit([encoder.finish()]);
    return dispatches;
  }

  private readOutputs(state: EnvState): Map<string, Tensor> {
    const mapped = state.staging.getMappedRange();
    const result = new Map<string, Tensor>();
    for (const o of state.outputs) result.set(o.name, fromGpuBytes(o.dtype, o.shape, mapped.slice(o.at, o.at + o.from.bytes)));
    state.staging.unmap();
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropStates();
    this.memory.destroy();
    this.gpu.destroy();
  }
}
