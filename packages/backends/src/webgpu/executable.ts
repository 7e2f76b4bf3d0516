// The WebGPU executable: runs the prologue once at load, then each forward pass as one command
// encoder with one compute pass (WebGPU orders storage writes between dispatches of a pass), the
// output copies, and one queue.submit; only the outputs are read back. Everything that depends on
// symbol values (arena layout, binding ranges, bind groups, grids, the symbol uniform, the
// readback buffer) is built once per set of values and cached; nothing is allocated per run.
// Device tensors (resident.ts) are GPU buffers of their own: an input held there is bound where it
// is, and a kept output gets a buffer of its own that its kernels write directly; only the other
// outputs are copied back. Such a run binds buffers that change from run to run, so it is not
// cached whole: it keeps its uniform, readback buffer and each kernel's bind group while that
// kernel binds the same buffers (run-reuse.ts), and lays out the arena with room to grow
// (gpu-memory.ts), so a decoding step makes bind groups only for the kernels that touch its caches.
// Row selections of device tensors are buffer-to-buffer copies encoded at the head of the next
// run's command encoder, so a decoding step stays one submit (device-tensors.ts, which an exported
// model.js runs too). `submitChoosing` returns once a run is submitted, so a decoding loop submits
// the next step while the GPU computes this one; its token input can be copied on the GPU from the
// tokens this one chooses. Runs go in in call order; only their readbacks overlap. What a run
// encodes and reads back is in run-state.ts.

import { type KernelPlan, baseBuffer } from '@smelt/compiler';
import { type SymbolEnv, type Tensor, resolveShape } from '@smelt/ir';
import type { RunInputs, RunProfile } from '../backend.ts';
import { checkInputs, inputOf } from '../input-check.ts';
import type { DeviceTensor, RunValue, SubmittingExecutable, TokenChoice, TransferCounts } from '../resident.ts';
import { isDeviceTensor } from '../resident-checks.ts';
import { computeDims } from '../render/computed-dims.ts';
import type { PlanPrograms } from './codegen.ts';
import type { GpuDevice } from './device.ts';
import { type ArenaLayout, type Location, GpuMemory, bindingBytes } from './gpu-memory.ts';
import { fromGpuBytes, toGpuArray } from './host-tensors.ts';
import type { CompiledKernel, PipelineCache } from './pipelines.ts';
import { gridSize, uniformBytes, uniformWords } from './portable-host.ts';
import type { KernelProgram } from './program.ts';
import { TOKEN_CHOICE_PROGRAM, tokenChoiceStep } from './token-choice.ts';
import { RunReuse } from './run-reuse.ts';
import { type EnvState, type OutputRead, type RunStats, type Step, type TokenFeed, encodeRun, readRunOutputs } from './run-state.ts';
import { type GpuDeviceTensor, GpuTensors } from './device-tensors.ts';

const UNIFORM = 0x40, COPY_DST = 0x08, MAP_READ = 0x01, MAP_MODE_READ = 0x1;
/** The output name under which a run that chooses tokens reads them back. */
const TOKENS = '\u0000tokens';
const MAX_CACHED_ENVS = 8;

export interface WebGpuExecutable extends SubmittingExecutable {
  readonly plan: KernelPlan;
  readonly programs: PlanPrograms;
  /** Distinct compute pipelines (identical kernels share one). */
  readonly pipelineCount: number;
  /** Pipelines dispatched once at compile time so the driver compiled them then (warm-up.ts). */
  readonly warmedUp: number;
  readonly lastRun: RunStats | undefined;
}

/**
 * How a run differs from a plain one: another way to submit (profile), a token choice after the
 * kernels, an input that takes the tokens the previous run chose (copied on the GPU).
 */
interface RunHow {
  readonly submit?: (state: EnvState) => Promise<number>;
  readonly choice?: TokenChoice;
  readonly fromLastChoice?: string;
  /** Map the readback buffer only once this settles (submitChoosing's `readAfter`). */
  readonly readAfter?: Promise<unknown>;
}
/** A submitted run: its kept outputs at once, everything once read back. */
interface Submitted { readonly kept: ReadonlyMap<string, GpuDeviceTensor>; readonly done: Promise<Map<string, RunValue>> }

export class GpuExecutable implements WebGpuExecutable {
  lastRun: RunStats | undefined;
  warmedUp = 0;
  private readonly states = new Map<string, EnvState>();
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** Device tensors, and the bytes copied between them and the host. */
  private readonly tensors: GpuTensors;
  /** What runs with device tensors carry over from one to the next. */
  private readonly reuse: RunReuse;
  /** The forward pass's pipelines, once resolved. */
  private forward: readonly CompiledKernel[] | undefined;

  constructor(
    private readonly gpu: GpuDevice, readonly plan: KernelPlan, readonly programs: PlanPrograms,
    private readonly pipelines: PipelineCache, private readonly memory: GpuMemory,
  ) {
    this.tensors = new GpuTensors(gpu.device, (bytes, label) => memory.createLoose(bytes, label));
    this.reuse = new RunReuse(gpu.device);
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Compute the derived weights: one submit at load. */
  async runPrologue(): Promise<void> {
    if (this.programs.prologue.length === 0) return;
    const env = new Map<string, number>();
    const state = await this.buildState(env, this.programs.prologue, { size: 0, offsets: new Map() }, () => false);
    await this.gpu.scoped('prologue', () => this.encodeAndSubmit(state));
    await this.gpu.orLost(this.gpu.device.queue.onSubmittedWorkDone());
    state.uniform.destroy();
  }

  run(inputs: RunInputs): Promise<Map<string, Tensor>> {
    return this.queued(() => this.runOnce(inputs, new Set())) as Promise<Map<string, Tensor>>;
  }

  runResident(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>): Promise<Map<string, RunValue>> {
    return this.queued(() => this.runOnce(inputs, keep));
  }

  async runChoosing(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, choice: TokenChoice): Promise<{ outputs: Map<string, RunValue>; tokens: Int32Array }> {
    return (await this.submitChoosing(inputs, keep, choice)).done;
  }

  async submitChoosing(
    inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, choice: TokenChoice, fromLastChoice?: string, readAfter?: Promise<unknown>,
  ): Promise<{ kept: Map<string, DeviceTensor>; done: Promise<{ outputs: Map<string, RunValue>; tokens: Int32Array }> }> {
    if (!this.plan.outputs.some((o) => o.name === choice.logits)) throw new Error(`webgpu: runChoosing: no output "${choice.logits}"`);
    if (fromLastChoice !== undefined && !this.plan.inputs.some((i) => i.name === fromLastChoice)) throw new Error(`webgpu: submitChoosing: no input "${fromLastChoice}" to take the last chosen tokens`);
    const { kept, done } = await this.queued(() => this.submitOnce(inputs, keep, { choice, fromLastChoice, readAfter }));
    return {
      kept: new Map(kept) as Map<string, DeviceTensor>,
      done: done.then((outputs) => {
        const tokens = outputs.get(TOKENS) as Tensor;
        outputs.delete(TOKENS);
        return { outputs, tokens: tokens.data as Int32Array };
      }),
    };
  }

  /** Runs one at a time, in call order (submitChoosing's, up to their submit); a failed one does not stop the next. */
  private queued<T>(body: () => Promise<T>): Promise<T> {
    const next = this.chain.then(body);
    this.chain = next.catch(() => undefined);
    return next;
  }

  get transfers(): TransferCounts {
    return { ...this.tensors.counts };
  }

  /** One run with each kernel in its own submit, timed from submit to the queue's work done. */
  profile(inputs: RunInputs): Promise<RunProfile> {
    return this.queued(async () => {
      const t0 = performance.now();
      const kernels: { index: number; label: string; ms: number }[] = [];
      const outputs = await this.runOnce(inputs, new Set(), { submit: async (state) => {
        const queue = this.gpu.device.queue;
        let dispatches = 0;
        for (const [index, s] of state.steps.entries()) {
          const t = performance.now();
          dispatches += this.encodeAndSubmit({ ...state, steps: [s], outputs: [] });
          await this.gpu.orLost(queue.onSubmittedWorkDone());
          kernels.push({ index, label: this.plan.kernels[index].label, ms: performance.now() - t });
        }
        return dispatches + this.encodeAndSubmit({ ...state, steps: [] });
      } }) as Map<string, Tensor>;
      return { outputs, kernels, ms: performance.now() - t0 };
    });
  }

  /** A run, once read back (RunHow says how it differs from a plain one). */
  private async runOnce(inputs: RunInputs | ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, how: RunHow = {}): Promise<Map<string, RunValue>> {
    return (await this.submitOnce(inputs, keep, how)).done;
  }

  /** A run, once submitted: its kept outputs are freed again if it fails. */
  private async submitOnce(inputs: RunInputs | ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, how: RunHow): Promise<Submitted> {
    if (this.disposed) throw new Error('webgpu: executable used after dispose()');
    this.gpu.check();
    const moved = new Map<number, GPUBuffer>();
    const onDevice = new Set<string>();
    for (const { name, buffer } of this.plan.inputs) {
      const v = inputOf(inputs as RunInputs, name) as RunValue | undefined;
      if (!isDeviceTensor(v)) continue;
      moved.set(baseBuffer(this.plan.buffers, buffer), this.tensors.own(v, `input "${name}"`).buffer);
      onDevice.add(name);
    }
    const env = checkInputs(this.plan.contract, inputs as RunInputs, onDevice);
    computeDims(env, this.plan.symbols, this.plan.computed);
    const kept = this.keptOutputs(keep, env, moved);
    const freeKept = (e: unknown): never => {
      for (const k of kept.values()) k.dispose();
      throw e;
    };
    try {
      const { done } = await this.submitState(inputs as RunInputs, env, onDevice, moved, kept, how);
      return { kept, done: done.catch(freeKept) };
    } catch (e) {
      return freeKept(e);
    }
  }

  /** Upload the inputs and submit; `done` settles once the outputs are read back (and the run's own buffers freed). */
  private async submitState(
    inputs: RunInputs, env: SymbolEnv, onDevice: ReadonlySet<string>, moved: ReadonlyMap<number, GPUBuffer>, kept: ReadonlyMap<string, GpuDeviceTensor>, how: RunHow,
  ): Promise<{ done: Promise<Map<string, RunValue>> }> {
    const { submit, choice, fromLastChoice } = how;
    // A run with device tensors or a token choice binds buffers of its own: its state is built for it and dropped after.
    const own = moved.size > 0 || kept.size > 0 || choice !== undefined;
    const createdBefore = this.pipelines.created;
    const state = own ? await this.ownState(env, onDevice, moved, kept, choice) : await this.state(env);
    // A reused readback buffer goes back for the next run once read (and is dropped after a failure).
    const free = (read: boolean) => {
      if (!own) return;
      if (state.reused && read) this.reuse.giveStaging(state.staging);
      else if (state.reused) state.staging.destroy();
      else { state.uniform.destroy(); state.staging.destroy(); }
      for (const b of state.extra) b.destroy();
    };
    let feed: TokenFeed | undefined;
    let uploaded = choice?.draws ? 4 * choice.draws.length : 0;
    try {
      for (const { name } of this.plan.inputs) {
        if (onDevice.has(name)) continue;
        const data = toGpuArray(inputOf(inputs, name) as Tensor, `input "${name}"`);
        if (name === fromLastChoice) {
          feed = { from: this.reuse.lastTokens(data.byteLength / 4, name), to: this.memory.inputBuffer(name), bytes: data.byteLength };
          continue;
        }
        if (data.byteLength) this.gpu.device.queue.writeBuffer(this.memory.inputBuffer(name), 0, data.buffer, data.byteOffset, data.byteLength);
        uploaded += data.byteLength;
      }
      this.gpu.device.pushErrorScope('validation');
      const dispatches = submit ? await submit(state) : this.encodeAndSubmit(state, feed);
      const validation = this.gpu.device.popErrorScope();
      this.tensors.counts.toBackend += uploaded;
      const done = this.readBack(state, validation, kept, { dispatches, uploaded, createdBefore }, how.readAfter);
      return { done: done.then((outputs) => (free(true), outputs), (e: unknown) => { free(false); throw e; }) };
    } catch (e) {
      free(false);
      throw e;
    }
  }

  /** Wait for the run's readback buffer, then its outputs (the kept ones as they are) and the run's stats. */
  private async readBack(
    state: EnvState, validation: Promise<GPUError | null>, kept: ReadonlyMap<string, GpuDeviceTensor>, run: { dispatches: number; uploaded: number; createdBefore: number },
    readAfter?: Promise<unknown>,
  ): Promise<Map<string, RunValue>> {
    if (readAfter) await readAfter.catch(() => undefined);
    const mapped = state.staging.mapAsync(MAP_MODE_READ).then(() => undefined, (e: Error) => e);
    const [invalid, unmappable] = await this.gpu.orLost(Promise.all([validation, mapped]));
    if (invalid || unmappable) {
      if (!unmappable) state.staging.unmap();
      if (state.reused) this.reuse.destroy();
      throw new Error(`webgpu: run failed: ${(invalid ?? unmappable)!.message}`);
    }
    const outputs: Map<string, RunValue> = readRunOutputs(state);
    this.gpu.check();
    const readBack = state.outputs.reduce((n, o) => n + o.from.bytes, 0);
    this.tensors.counts.fromBackend += readBack;
    this.lastRun = { dispatches: run.dispatches, passes: 1, submits: 1, bytesUploaded: run.uploaded, bytesReadBack: readBack, pipelinesCreated: this.pipelines.created - run.createdBefore };
    for (const [name, t] of kept) outputs.set(name, t);
    return outputs;
  }

  /** A new buffer per kept output, where its kernels write it (its base buffer moved there). */
  private keptOutputs(keep: ReadonlySet<string>, env: SymbolEnv, moved: Map<number, GPUBuffer>): Map<string, GpuDeviceTensor> {
    const kept = new Map<string, GpuDeviceTensor>();
    for (const { name, buffer } of this.plan.outputs) {
      if (!keep.has(name)) continue;
      const base = baseBuffer(this.plan.buffers, buffer);
      if (this.plan.buffers[base].storage.kind !== 'arena' || moved.has(base)) {
        for (const k of kept.values()) k.dispose();
        throw new Error(`webgpu: output "${name}" cannot stay on the GPU: it is not a buffer of its own (an input, a weight, or another kept output's buffer)`);
      }
      const t = this.tensors.make(this.plan.buffers[buffer].dtype, resolveShape(this.plan.buffers[buffer].shape, env), this.memory.bytes(base, env), `kept ${name}`);
      moved.set(base, t.buffer);
      kept.set(name, t);
    }
    return kept;
  }

  private async ownState(env: SymbolEnv, onDevice: ReadonlySet<string>, moved: ReadonlyMap<number, GPUBuffer>, kept: ReadonlyMap<string, GpuDeviceTensor>, choice?: TokenChoice): Promise<EnvState> {
    const layout = this.memory.layout(env, true);
    if (this.memory.ensure(env, layout, onDevice)) this.dropStates();
    const readBack = (name: string) => !kept.has(name) && name !== choice?.logits;
    if (!choice) return this.buildState(env, this.programs.kernels, layout, readBack, moved, undefined, this.reuse);
    const logits = this.plan.outputs.find((o) => o.name === choice.logits)!;
    const from = this.memory.locate(logits.buffer, env, layout, moved);
    const shape = resolveShape(this.plan.buffers[logits.buffer].shape, env);
    const vocab = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const { pipeline, layout: bgl } = await this.pipelines.get(TOKEN_CHOICE_PROGRAM);
    const c = tokenChoiceStep(this.gpu.device, bgl, choice, from, vocab, rows, this.reuse.tokenChoice(rows));
    return this.buildState(env, this.programs.kernels, layout, readBack, moved, { step: { pipeline, bindGroup: c.bindGroup, grid: c.grid }, tokens: c.tokens, buffers: c.buffers }, this.reuse);
  }

  upload(t: Tensor): DeviceTensor {
    if (this.disposed) throw new Error('webgpu: executable used after dispose()');
    return this.tensors.upload(t.dtype, t.shape, toGpuArray(t, 'upload')) as DeviceTensor;
  }

  download(t: DeviceTensor): Promise<Tensor> {
    return this.queued(async () => {
      const d = await this.tensors.download(t, (p) => this.gpu.orLost(p));
      return fromGpuBytes(d.dtype as Tensor['dtype'], d.shape, d.bytes);
    });
  }

  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor {
    return this.tensors.selectRows(t, rows) as DeviceTensor;
  }

  private async state(env: SymbolEnv): Promise<EnvState> {
    const key = this.plan.symbols.map((s) => env.get(s)).join(',');
    const layout = this.memory.layout(env);
    if (this.memory.ensure(env, layout)) this.dropStates();
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= MAX_CACHED_ENVS) this.dropStates();
      state = await this.buildState(env, this.programs.kernels, layout, () => true);
      this.states.set(key, state);
    }
    return state;
  }

  private dropStates(): void {
    for (const s of this.states.values()) { s.uniform.destroy(); s.staging.destroy(); }
    this.states.clear();
  }

  /**
   * `readBack`: which outputs the run copies back; `moved`: base buffers bound elsewhere (device
   * tensors); `reuse`: take the uniform, staging and bind groups from there (runs with device tensors).
   */
  private async buildState(
    env: SymbolEnv, programs: readonly KernelProgram[], layout: ArenaLayout, readBack: (name: string) => boolean, moved?: ReadonlyMap<number, GPUBuffer>,
    choice?: { step: Step; tokens: Location; buffers: GPUBuffer[] }, reuse?: RunReuse,
  ): Promise<EnvState> {
    const { device, limits } = this.gpu;
    const words = uniformWords(this.plan.symbols, env);
    const uniformSize = uniformBytes(this.plan.symbols.length);
    let uniform: GPUBuffer;
    if (reuse) uniform = reuse.uniform(uniformSize, words);
    else {
      uniform = device.createBuffer({ size: uniformSize, usage: UNIFORM | COPY_DST, label: 'symbols' });
      device.queue.writeBuffer(uniform, 0, words);
    }
    const compiled = await this.compiledKernels(programs);
    const steps = programs.map((p, index): Step => {
      const { pipeline, layout: bgl } = compiled[index];
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
      p.bindings.forEach((b, i) => {
        const loc = this.memory.locate(b.buffer, env, layout, moved);
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
      return { pipeline, bindGroup: reuse ? reuse.bindGroup(index, bgl, entries) : device.createBindGroup({ layout: bgl, entries }), grid };
    });
    const outputs: OutputRead[] = [];
    let at = 0;
    for (const o of this.plan.outputs) {
      if (!readBack(o.name)) continue;
      const b = this.plan.buffers[o.buffer];
      const from = this.memory.locate(o.buffer, env, layout, moved);
      outputs.push({ name: o.name, dtype: b.dtype, shape: resolveShape(b.shape, env), from, at });
      at += from.bytes;
    }
    if (choice) {
      steps.push(choice.step);
      outputs.push({ name: TOKENS, dtype: 'i32', shape: [choice.tokens.bytes / 4], from: choice.tokens, at });
      at += choice.tokens.bytes;
    }
    const staging = reuse ? reuse.takeStaging(Math.max(at, 16)) : device.createBuffer({ size: Math.max(at, 16), usage: MAP_READ | COPY_DST, label: 'readback' });
    return { uniform, steps, staging, outputs, extra: choice?.buffers ?? [], reused: reuse !== undefined };
  }

  /** The pipelines of `programs` (those of the forward pass resolved once, for every run after). */
  private async compiledKernels(programs: readonly KernelProgram[]): Promise<readonly CompiledKernel[]> {
    if (programs !== this.programs.kernels) return Promise.all(programs.map((p) => this.pipelines.get(p)));
    this.forward ??= await Promise.all(programs.map((p) => this.pipelines.get(p)));
    return this.forward;
  }

  private encodeAndSubmit(state: EnvState, feed?: TokenFeed): number {
    return encodeRun(this.gpu.device, this.tensors, state, feed);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropStates();
    this.reuse.destroy();
    this.tensors.destroyFree();
    this.memory.destroy(); // the device and its pipelines are shared (GpuDevice.shared): they stay for the next compile
  }
}
