// The loaded model of an exported WebGPU model.js (aot/host.ts loads it): the fixed buffers, the
// arena and input buffers, and runs, following the in-process executable. A run binds the symbols
// from the input shapes, writes them to the uniform, encodes one compute pass and the output copies,
// submits once and maps one readback buffer; what depends on symbol values (arena layout, bind
// groups, grids, uniform, readback buffer) is built once per set of values and cached. Tensors can
// stay on the GPU between runs as in process (resident.ts; device-tensors.ts, shared with the
// in-process executable): `runResident` binds device-tensor inputs where they are and gives each
// kept output a buffer of its own that its kernels write, and `runChoosing` also picks each row's
// token from the logits on the GPU (token-choice.ts), reading back only the token ids; such a run
// builds its bind groups for those buffers and drops them after. Embedded after portable-host.ts,
// device-tensors.ts and token-choice.ts, before host.ts: imports here are types only, or of those.

import { computeDims } from '../../render/computed-dims.ts';
import { checkInputs, inputOf } from '../../input-check.ts';
import { isDeviceTensor } from '../../resident-checks.ts';
import type { TokenChoice } from '../../resident.ts';
import {
  BUFFER_USAGE, type DTypeName, type HostArray, STAGE_COMPUTE, MAP_MODE_READ, type SlotLayout, type Symbols, bindingBytes, dimValue, dimsProduct,
  fromGpuElements, gridSize, slotOffsets, toGpuElements, uniformBytes, uniformWords,
} from '../portable-host.ts';
import { type GpuDeviceTensor, GpuTensors } from '../device-tensors.ts';
import { TOKEN_CHOICE_PROGRAM, tokenChoiceStep } from '../token-choice.ts';
import type { ProgramSpec, WebGpuManifest } from './manifest.ts';

declare const MANIFEST: WebGpuManifest;

const MAX_CACHED_STATES = 8;
/** The output name under which a run that chooses tokens reads them back. */
const TOKENS = '\u0000tokens';

export interface Tensor {
  readonly dtype: DTypeName;
  readonly shape: readonly number[];
  readonly data: HostArray;
}
/** A tensor kept on the GPU between runs (a buffer of its own). */
export type DeviceTensor = GpuDeviceTensor;
type RunValue = Tensor | DeviceTensor;
type ResidentInputs = Readonly<Record<string, RunValue>> | ReadonlyMap<string, RunValue>;

export interface Model {
  readonly device: GPUDevice;
  run(inputs: Inputs): Promise<Record<string, Tensor>>;
  runResident(inputs: ResidentInputs, keep: Iterable<string>): Promise<Record<string, RunValue>>;
  runChoosing(inputs: ResidentInputs, keep: Iterable<string>, choice: TokenChoice): Promise<{ outputs: Record<string, RunValue>; tokens: Int32Array }>;
  upload(t: Tensor): DeviceTensor;
  download(t: DeviceTensor): Promise<Tensor>;
  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor;
  readonly transfers: { readonly toBackend: number; readonly fromBackend: number };
  dispose(): void;
}
export interface Pipeline { readonly pipeline: GPUComputePipeline; readonly layout: GPUBindGroupLayout }

/** A compute pipeline of WGSL `code` whose bindings after the uniform are `bindings`; `file` names it in errors. */
export async function createPipeline(device: GPUDevice, code: string, bindings: readonly { readonly access: 'read' | 'read_write' }[], label: string, file: string): Promise<Pipeline> {
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } },
      ...bindings.map((b, j): GPUBindGroupLayoutEntry => ({ binding: j + 1, visibility: STAGE_COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' } })),
    ],
  });
  const module = device.createShaderModule({ code, label: file });
  try {
    const pipeline = await device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' }, label,
    });
    return { pipeline, layout };
  } catch (e) {
    const info = await module.getCompilationInfo();
    const messages = info.messages.map((m) => `${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
    throw new Error(`webgpu: ${file} (${label}) did not compile: ${messages || (e as Error).message}`);
  }
}
interface Step { readonly pipeline: GPUComputePipeline; readonly bindGroup: GPUBindGroup; readonly grid: [number, number, number] }
interface OutputRead { readonly name: string; readonly dtype: DTypeName; readonly shape: number[]; readonly from: Location; readonly at: number }
interface State { readonly uniform: GPUBuffer; readonly steps: Step[]; readonly staging: GPUBuffer; readonly outputs: OutputRead[]; readonly extra: GPUBuffer[] }
/** How a run differs from a plain one: base buffers bound elsewhere (device tensors, kept outputs), a token choice. */
interface RunHow { readonly moved: ReadonlyMap<number, GPUBuffer>; readonly kept: ReadonlyMap<string, GpuDeviceTensor>; readonly choice?: TokenChoice }
interface Location { readonly buffer: GPUBuffer; readonly offset: number; readonly bytes: number }
type Inputs = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

export class GpuModel implements Model {
  private readonly specs = new Map(MANIFEST.buffers.map((b) => [b.id, b]));
  private readonly alignment: number;
  private readonly fixed = new Map<number, GPUBuffer>();
  private readonly inputBuffers = new Map<number, GPUBuffer>();
  private arena: GPUBuffer | undefined;
  private readonly states = new Map<string, State>();
  private chain: Promise<unknown> = Promise.resolve();
  private lost: string | undefined;
  private disposed = false;
  /** Device tensors, and the bytes copied between them and the host. */
  private readonly tensors: GpuTensors;
  /** The token-choice pipeline, made at the first runChoosing. */
  private choosing: Promise<Pipeline> | undefined;

  constructor(readonly device: GPUDevice, private readonly pipelines: readonly Pipeline[], image: Uint8Array, private readonly ownsDevice: boolean) {
    void device.lost.then((info) => { this.lost = `WebGPU device lost (${info.reason}): ${info.message}`; });
    this.alignment = Math.max(MANIFEST.alignment, device.limits.minStorageBufferOffsetAlignment);
    this.tensors = new GpuTensors(device, (bytes, label) => this.create(bytes, label));
    for (const b of MANIFEST.buffers) {
      if (b.place !== 'fixed') continue;
      const buffer = this.create(this.bytesOf(b.id, new Map()), `fixed ${b.id}`);
      if (b.image) device.queue.writeBuffer(buffer, 0, image, b.image.offset, b.image.bytes);
      this.fixed.set(b.id, buffer);
    }
  }

  private bytesOf(id: number, env: Symbols): number {
    const spec = this.specs.get(id)!;
    return spec.bytes ?? dimsProduct(spec.shape, env) * spec.elementBytes;
  }

  private create(bytes: number, label: string): GPUBuffer {
    const max = this.device.limits.maxBufferSize;
    if (bytes > max) throw new Error(`webgpu: ${label} needs a ${bytes}-byte buffer; maxBufferSize available is ${max}`);
    return this.device.createBuffer({ size: bindingBytes(bytes), usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST, label });
  }

  /** Where base buffer `id` is for these symbol values; `moved`: base buffers held by device tensors. */
  private locate(id: number, env: Symbols, layout: SlotLayout, moved?: ReadonlyMap<number, GPUBuffer>): Location {
    const place = this.specs.get(id)!.place;
    const elsewhere = moved?.get(id);
    const buffer = elsewhere ?? (place === 'fixed' ? this.fixed.get(id)! : place === 'input' ? this.inputBuffers.get(id)! : this.arena!);
    return { buffer, offset: place === 'arena' && !elsewhere ? layout.offsets.get(id)! : 0, bytes: this.bytesOf(id, env) };
  }

  /** Grow the arena and input buffers (but those of device-tensor inputs) to fit `env`; true when any buffer was replaced. */
  private ensure(env: Symbols, layout: SlotLayout, moved?: ReadonlyMap<number, GPUBuffer>): boolean {
    let grew = false;
    if (!this.arena || this.arena.size < layout.size) {
      this.arena?.destroy();
      this.arena = this.create(layout.size, 'arena');
      grew = true;
    }
    for (const { buffer: id } of MANIFEST.inputs) {
      const have = this.inputBuffers.get(id);
      if (moved?.has(id) || (have && have.size >= bindingBytes(this.bytesOf(id, env)))) continue;
      have?.destroy();
      this.inputBuffers.set(id, this.create(this.bytesOf(id, env), `input ${id}`));
      grew = true;
    }
    return grew;
  }

  /** `readBack`: which outputs the run copies back; `how.moved`: base buffers bound elsewhere; `choice`: the token choice appended. */
  private buildState(env: Symbols, programs: readonly ProgramSpec[], layout: SlotLayout, readBack: (name: string) => boolean, moved?: ReadonlyMap<number, GPUBuffer>, choice?: { step: Step; tokens: Location; buffers: GPUBuffer[] }): State {
    const { device } = this;
    const uniform = device.createBuffer({ size: uniformBytes(MANIFEST.symbols.length), usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST, label: 'symbols' });
    device.queue.writeBuffer(uniform, 0, uniformWords(MANIFEST.symbols, env));
    const steps = programs.map((p): Step => {
      const { pipeline, layout: bgl } = this.pipelines[p.shader];
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
      p.bindings.forEach((b, i) => {
        const at = this.locate(b.buffer, env, layout, moved);
        entries.push({ binding: i + 1, resource: { buffer: at.buffer, offset: at.offset, size: bindingBytes(at.bytes) } });
      });
      return { pipeline, bindGroup: device.createBindGroup({ layout: bgl, entries }), grid: gridSize(p.grid, env) };
    });
    const outputs: OutputRead[] = [];
    let at = 0;
    for (const o of MANIFEST.outputs) {
      if (!readBack(o.name)) continue;
      const from = this.locate(o.buffer, env, layout, moved);
      outputs.push({ name: o.name, dtype: o.dtype, shape: o.shape.map((d) => dimValue(d, env)), from, at });
      at += from.bytes;
    }
    if (choice) {
      steps.push(choice.step);
      outputs.push({ name: TOKENS, dtype: 'i32', shape: [choice.tokens.bytes / 4], from: choice.tokens, at });
      at += choice.tokens.bytes;
    }
    const staging = device.createBuffer({ size: Math.max(at, 16), usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST, label: 'readback' });
    return { uniform, steps, staging, outputs, extra: choice?.buffers ?? [] };
  }

  /** One encoder (the pending row copies first), one compute pass, the output copies, one submit. */
  private submit(state: State): void {
    const encoder = this.device.createCommandEncoder();
    this.tensors.flush(encoder);
    const pass = encoder.beginComputePass();
    for (const s of state.steps) {
      if (s.grid.some((g) => g === 0)) continue;
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(...s.grid);
    }
    pass.end();
    for (const o of state.outputs) if (o.from.bytes) encoder.copyBufferToBuffer(o.from.buffer, o.from.offset, state.staging, o.at, o.from.bytes);
    this.tensors.submit(encoder);
  }

  /** Compute the derived weights: one submit at load. */
  async runPrologue(): Promise<void> {
    if (!MANIFEST.prologue.length) return;
    const state = this.buildState(new Map(), MANIFEST.prologue, { size: 0, offsets: new Map() }, () => false);
    this.submit(state);
    await this.device.queue.onSubmittedWorkDone();
    state.uniform.destroy();
    state.staging.destroy();
  }

  private dropStates(): void {
    for (const s of this.states.values()) { s.uniform.destroy(); s.staging.destroy(); }
    this.states.clear();
  }

  private stateFor(env: Symbols): State {
    const key = MANIFEST.symbols.map((s) => env.get(s)).join(',');
    const layout = slotOffsets(MANIFEST.slots, (id) => this.bytesOf(id, env), this.alignment);
    if (this.ensure(env, layout)) this.dropStates();
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= MAX_CACHED_STATES) this.dropStates();
      state = this.buildState(env, MANIFEST.kernels, layout, () => true);
      this.states.set(key, state);
    }
    return state;
  }

  /** A run's own state (not cached): device tensors bound where they are, kept outputs not read back, the token choice appended. */
  private async ownState(env: Symbols, how: RunHow): Promise<State> {
    const layout = slotOffsets(MANIFEST.slots, (id) => this.bytesOf(id, env), this.alignment);
    if (this.ensure(env, layout, how.moved)) this.dropStates();
    const { choice } = how;
    const readBack = (name: string) => !how.kept.has(name) && name !== choice?.logits;
    if (!choice) return this.buildState(env, MANIFEST.kernels, layout, readBack, how.moved);
    const logits = MANIFEST.outputs.find((o) => o.name === choice.logits)!;
    const shape = logits.shape.map((d) => dimValue(d, env));
    this.choosing ??= createPipeline(this.device, TOKEN_CHOICE_PROGRAM.wgsl, TOKEN_CHOICE_PROGRAM.bindings, TOKEN_CHOICE_PROGRAM.label, 'token choice');
    const { pipeline, layout: bgl } = await this.choosing;
    const c = tokenChoiceStep(this.device, bgl, choice, this.locate(logits.buffer, env, layout, how.moved), shape[shape.length - 1], dimsProduct(shape.slice(0, -1), env));
    return this.buildState(env, MANIFEST.kernels, layout, readBack, how.moved, { step: { pipeline, bindGroup: c.bindGroup, grid: c.grid }, tokens: c.tokens, buffers: c.buffers });
  }

  /** Runs one at a time, in call order; a failed one does not stop the next. */
  private queued<T>(body: () => Promise<T>): Promise<T> {
    const next = this.chain.then(body);
    this.chain = next.catch(() => undefined);
    return next;
  }

  run(inputs: Inputs): Promise<Record<string, Tensor>> {
    return this.queued(() => this.runOnce(inputs, new Set())) as Promise<Record<string, Tensor>>;
  }

  runResident(inputs: ResidentInputs, keep: Iterable<string>): Promise<Record<string, RunValue>> {
    return this.queued(() => this.runOnce(inputs, new Set(keep)));
  }

  async runChoosing(inputs: ResidentInputs, keep: Iterable<string>, choice: TokenChoice): Promise<{ outputs: Record<string, RunValue>; tokens: Int32Array }> {
    if (!MANIFEST.outputs.some((o) => o.name === choice.logits)) throw new Error(`webgpu: runChoosing: no output ${JSON.stringify(choice.logits)}`);
    const outputs = await this.queued(() => this.runOnce(inputs, new Set(keep), choice));
    const tokens = (outputs[TOKENS] as Tensor).data as Int32Array;
    delete outputs[TOKENS];
    return { outputs, tokens };
  }

  /** The inputs given as device tensors, and their base buffers bound where they are. */
  private deviceInputs(inputs: ResidentInputs): { onDevice: Set<string>; moved: Map<number, GPUBuffer> } {
    const moved = new Map<number, GPUBuffer>();
    const onDevice = new Set<string>();
    for (const { name, buffer } of MANIFEST.inputs) {
      const v = inputOf(inputs as Inputs, name);
      if (!isDeviceTensor(v)) continue;
      moved.set(buffer, this.tensors.own(v, `input "${name}"`).buffer);
      onDevice.add(name);
    }
    return { onDevice, moved };
  }

  /** A new buffer per kept output, where its kernels write it (its base buffer moved there). */
  private keptOutputs(keep: ReadonlySet<string>, env: Symbols, moved: Map<number, GPUBuffer>): Map<string, GpuDeviceTensor> {
    const kept = new Map<string, GpuDeviceTensor>();
    for (const name of keep) {
      const o = MANIFEST.outputs.find((x) => x.name === name);
      if (!o || this.specs.get(o.buffer)!.place !== 'arena' || moved.has(o.buffer)) {
        for (const k of kept.values()) k.dispose();
        const why = o ? 'it is not a buffer of its own (an input, a weight, or another kept output\'s buffer)' : 'there is no such output';
        throw new Error(`webgpu: output ${JSON.stringify(name)} cannot stay on the GPU: ${why}`);
      }
      const t = this.tensors.make(o.dtype, o.shape.map((d) => dimValue(d, env)), this.bytesOf(o.buffer, env), `kept ${name}`);
      moved.set(o.buffer, t.buffer);
      kept.set(name, t);
    }
    return kept;
  }

  /** The host inputs checked and converted to GPU elements (device-tensor inputs: their type only), with the symbol values they bind. */
  private gpuInputs(inputs: ResidentInputs, onDevice: ReadonlySet<string>): { env: Symbols; data: (Float32Array | Int32Array | Uint32Array | undefined)[] } {
    const env = checkInputs(MANIFEST.contract, inputs as Inputs, onDevice);
    computeDims(env, MANIFEST.symbols, MANIFEST.computed);
    const data = MANIFEST.inputs.map((spec) => {
      if (onDevice.has(spec.name)) return undefined;
      const t = inputOf(inputs as Inputs, spec.name) as Tensor;
      return toGpuElements(t.dtype, t.data, `input "${spec.name}"`);
    });
    return { env, data };
  }

  private async runOnce(inputs: ResidentInputs, keep: ReadonlySet<string>, choice?: TokenChoice): Promise<Record<string, RunValue>> {
    if (this.disposed) throw new Error('webgpu: model used after dispose()');
    if (this.lost) throw new Error(this.lost);
    const { onDevice, moved } = this.deviceInputs(inputs);
    const { env, data } = this.gpuInputs(inputs, onDevice);
    const how: RunHow = { moved, kept: this.keptOutputs(keep, env, moved), choice };
    // A run with device tensors or a token choice binds buffers of its own: its state is built for it and dropped after.
    const own = moved.size > 0 || choice !== undefined;
    try {
      this.device.pushErrorScope('validation');
      let state: State;
      try {
        state = own ? await this.ownState(env, how) : this.stateFor(env);
      } catch (e) {
        await this.device.popErrorScope();
        throw e;
      }
      try {
        let uploaded = choice?.draws ? 4 * choice.draws.length : 0;
        MANIFEST.inputs.forEach((spec, i) => {
          const d = data[i];
          if (d?.byteLength) this.device.queue.writeBuffer(this.inputBuffers.get(spec.buffer)!, 0, d.buffer, d.byteOffset, d.byteLength);
          uploaded += d?.byteLength ?? 0;
        });
        this.submit(state);
        const outputs = await this.readBack(state, env);
        this.tensors.counts.toBackend += uploaded;
        this.tensors.counts.fromBackend += state.outputs.reduce((n, o) => n + o.from.bytes, 0);
        for (const [name, t] of how.kept) outputs[name] = t;
        return outputs;
      } finally {
        if (own) { state.uniform.destroy(); state.staging.destroy(); for (const b of state.extra) b.destroy(); }
      }
    } catch (e) {
      for (const t of how.kept.values()) t.dispose();
      throw e;
    }
  }

  /** Wait for the submit, then the read-back outputs as host tensors (a validation error or a failed mapping is an error). */
  private async readBack(state: State, env: Symbols): Promise<Record<string, RunValue>> {
    const mapped = state.staging.mapAsync(MAP_MODE_READ).then(() => undefined, (e: Error) => e);
    const [invalid, unmappable] = await Promise.all([this.device.popErrorScope(), mapped]);
    if (invalid || unmappable) {
      if (!unmappable) state.staging.unmap();
      throw new Error(`webgpu: run failed: ${(invalid ?? unmappable)!.message}`);
    }
    const bytes = state.staging.getMappedRange();
    const outputs: Record<string, RunValue> = {};
    for (const o of state.outputs) {
      const value = { dtype: o.dtype, shape: o.shape, data: fromGpuElements(o.dtype, bytes.slice(o.at, o.at + o.from.bytes), dimsProduct(o.shape, env)) };
      Object.defineProperty(outputs, o.name, { value, enumerable: true, writable: true, configurable: true });
    }
    state.staging.unmap();
    return outputs;
  }

  upload(t: Tensor): DeviceTensor {
    if (this.disposed) throw new Error('webgpu: model used after dispose()');
    return this.tensors.upload(t.dtype, t.shape, toGpuElements(t.dtype, t.data, 'upload'));
  }

  download(t: DeviceTensor): Promise<Tensor> {
    return this.queued(async () => {
      const d = await this.tensors.download(t);
      return { dtype: d.dtype, shape: [...d.shape], data: fromGpuElements(d.dtype, d.bytes, dimsProduct(d.shape, new Map())) };
    });
  }

  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor {
    return this.tensors.selectRows(t, rows);
  }

  get transfers(): { readonly toBackend: number; readonly fromBackend: number } {
    return { ...this.tensors.counts };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropStates();
    this.tensors.destroyFree();
    for (const b of [...this.fixed.values(), ...this.inputBuffers.values()]) b.destroy();
    this.arena?.destroy();
    if (this.ownsDevice) this.device.destroy();
  }
}

