// The host of an exported model.js, with the WebGPU API alone: export (model-js.ts) inlines
// portable-host.ts, then this file, after `const MANIFEST = {…}`; imports here are types only, or
// of portable-host.ts. It follows the in-process executable: pipelines created once per distinct
// kernel, weights uploaded once, the prologue run at load; a run binds the symbols from the input
// shapes, writes them to the uniform, encodes one compute pass and the output copies, submits once
// and maps one readback buffer. What depends on symbol values (arena layout, bind groups, grids,
// uniform, readback buffer) is built once per set of values and cached.

import { computeDims } from '../../render/computed-dims.ts';
import { checkInputs, inputOf } from '../../input-check.ts';
import {
  type DTypeName, type HostArray, type SlotLayout, type Symbols, bindingBytes, dimValue, dimsProduct, fromGpuElements,
  gridSize, requireFeatures, slotOffsets, toGpuElements, uniformBytes, uniformWords,
} from '../portable-host.ts';
import type { ProgramSpec, WebGpuManifest } from './manifest.ts';

declare const MANIFEST: WebGpuManifest;

const STORAGE = 0x80, UNIFORM = 0x40, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01, MAP_MODE_READ = 0x1, COMPUTE = 0x4;
const MAX_CACHED_STATES = 8;

export interface Tensor {
  readonly dtype: DTypeName;
  readonly shape: readonly number[];
  readonly data: HostArray;
}

export interface LoadOptions {
  readonly gpu?: GPU;
  /** Run on this device (not destroyed by dispose) instead of opening one from `gpu`. */
  readonly device?: GPUDevice;
  readonly baseUrl?: string | URL;
  readonly read?: (file: string) => Promise<Uint8Array>;
}

export interface Model {
  readonly device: GPUDevice;
  run(inputs: Inputs): Promise<Record<string, Tensor>>;
  dispose(): void;
}

export const MODEL = { name: MANIFEST.name, precision: MANIFEST.precision, symbols: MANIFEST.symbols, inputs: MANIFEST.inputs, outputs: MANIFEST.outputs };

async function readFile(file: string, options: LoadOptions): Promise<Uint8Array> {
  if (options.read) return options.read(file);
  const url = new URL(file, options.baseUrl ?? import.meta.url);
  if (url.protocol === 'file:') return new Uint8Array(await (await import('node:fs/promises')).readFile(url));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`webgpu: fetching ${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function openDevice(gpu: GPU): Promise<GPUDevice> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('webgpu: no WebGPU adapter');
  requireFeatures(adapter, MANIFEST.features, `precision ${MANIFEST.precision}`);
  const requiredLimits: Record<string, number> = {};
  for (const k of MANIFEST.limits) requiredLimits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  return adapter.requestDevice({ requiredFeatures: MANIFEST.features as GPUFeatureName[], requiredLimits, label: MANIFEST.name });
}

interface Pipeline { readonly pipeline: GPUComputePipeline; readonly layout: GPUBindGroupLayout }

/** One pipeline per .wgsl file, its bind group layout from the first kernel using it (same text, same bindings). */
function createPipelines(device: GPUDevice, codes: readonly string[]): Promise<Pipeline[]> {
  const first = new Map<number, ProgramSpec>();
  for (const p of [...MANIFEST.prologue, ...MANIFEST.kernels]) if (!first.has(p.shader)) first.set(p.shader, p);
  return Promise.all(codes.map(async (code, i) => {
    const p = first.get(i)!;
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
        ...p.bindings.map((b, j): GPUBindGroupLayoutEntry => ({ binding: j + 1, visibility: COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' } })),
      ],
    });
    const module = device.createShaderModule({ code, label: MANIFEST.shaders[i] });
    try {
      const pipeline = await device.createComputePipelineAsync({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' }, label: p.label,
      });
      return { pipeline, layout };
    } catch (e) {
      const info = await module.getCompilationInfo();
      const messages = info.messages.map((m) => `${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
      throw new Error(`webgpu: ${MANIFEST.shaders[i]} (${p.label}) did not compile: ${messages || (e as Error).message}`);
    }
  }));
}

interface Step { readonly pipeline: GPUComputePipeline; readonly bindGroup: GPUBindGroup; readonly grid: [number, number, number] }
interface OutputRead { readonly name: string; readonly dtype: DTypeName; readonly shape: number[]; readonly from: Location; readonly at: number }
interface State { readonly uniform: GPUBuffer; readonly steps: Step[]; readonly staging: GPUBuffer; readonly outputs: OutputRead[] }
interface Location { readonly buffer: GPUBuffer; readonly offset: number; readonly bytes: number }

/** A device the caller gives must have the manifest's features (its limits show when pipelines or buffers are made). */
function givenDevice(device: GPUDevice): GPUDevice {
  const missing = MANIFEST.features.filter((f) => !device.features.has(f));
  if (missing.length) throw new Error(`webgpu: the device given to load() lacks ${missing.join(', ')} (precision ${MANIFEST.precision})`);
  return device;
}

/** Request the adapter and device (or take the one given), create the pipelines, upload the weights and run the prologue. */
export async function load(options: LoadOptions): Promise<Model> {
  if (!options.device && !options.gpu) throw new Error('webgpu: load() needs { gpu } (navigator.gpu, or create([]) of the webgpu package) or { device }');
  const owned = !options.device;
  const device = options.device ? givenDevice(options.device) : await openDevice(options.gpu!);
  try {
    const [image, ...codes] = await Promise.all([MANIFEST.weightsFile, ...MANIFEST.shaders].map((f) => readFile(f, options)));
    device.pushErrorScope('validation');
    const pipelines = await createPipelines(device, codes.map((c) => new TextDecoder().decode(c)));
    const model = new GpuModel(device, pipelines, image, owned);
    await model.runPrologue();
    const error = await device.popErrorScope();
    if (error) throw new Error(`webgpu: loading: ${error.message}`);
    return model;
  } catch (e) {
    if (owned) device.destroy();
    throw e;
  }
}

type Inputs = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

class GpuModel implements Model {
  private readonly specs = new Map(MANIFEST.buffers.map((b) => [b.id, b]));
  private readonly alignment: number;
  private readonly fixed = new Map<number, GPUBuffer>();
  private readonly inputBuffers = new Map<number, GPUBuffer>();
  private arena: GPUBuffer | undefined;
  private readonly states = new Map<string, State>();
  private chain: Promise<unknown> = Promise.resolve();
  private lost: string | undefined;
  private disposed = false;

  constructor(readonly device: GPUDevice, private readonly pipelines: readonly Pipeline[], image: Uint8Array, private readonly ownsDevice: boolean) {
    void device.lost.then((info) => { this.lost = `WebGPU device lost (${info.reason}): ${info.message}`; });
    this.alignment = Math.max(MANIFEST.alignment, device.limits.minStorageBufferOffsetAlignment);
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
    return this.device.createBuffer({ size: bindingBytes(bytes), usage: STORAGE | COPY_SRC | COPY_DST, label });
  }

  private locate(id: number, env: Symbols, layout: SlotLayout): Location {
    const place = this.specs.get(id)!.place;
    const buffer = place === 'fixed' ? this.fixed.get(id)! : place === 'input' ? this.inputBuffers.get(id)! : this.arena!;
    return { buffer, offset: place === 'arena' ? layout.offsets.get(id)! : 0, bytes: this.bytesOf(id, env) };
  }

  /** Grow the arena and input buffers to fit `env`; true when any buffer was replaced. */
  private ensure(env: Symbols, layout: SlotLayout): boolean {
    let grew = false;
    if (!this.arena || this.arena.size < layout.size) {
      this.arena?.destroy();
      this.arena = this.create(layout.size, 'arena');
      grew = true;
    }
    for (const { buffer: id } of MANIFEST.inputs) {
      const have = this.inputBuffers.get(id);
      if (have && have.size >= bindingBytes(this.bytesOf(id, env))) continue;
      have?.destroy();
      this.inputBuffers.set(id, this.create(this.bytesOf(id, env), `input ${id}`));
      grew = true;
    }
    return grew;
  }

  private buildState(env: Symbols, programs: readonly ProgramSpec[], layout: SlotLayout, withOutputs: boolean): State {
    const { device } = this;
    const uniform = device.createBuffer({ size: uniformBytes(MANIFEST.symbols.length), usage: UNIFORM | COPY_DST, label: 'symbols' });
    device.queue.writeBuffer(uniform, 0, uniformWords(MANIFEST.symbols, env));
    const steps = programs.map((p): Step => {
      const { pipeline, layout: bgl } = this.pipelines[p.shader];
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
      p.bindings.forEach((b, i) => {
        const at = this.locate(b.buffer, env, layout);
        entries.push({ binding: i + 1, resource: { buffer: at.buffer, offset: at.offset, size: bindingBytes(at.bytes) } });
      });
      return { pipeline, bindGroup: device.createBindGroup({ layout: bgl, entries }), grid: gridSize(p.grid, env) };
    });
    const outputs: OutputRead[] = [];
    let at = 0;
    for (const o of withOutputs ? MANIFEST.outputs : []) {
      const from = this.locate(o.buffer, env, layout);
      outputs.push({ name: o.name, dtype: o.dtype, shape: o.shape.map((d) => dimValue(d, env)), from, at });
      at += from.bytes;
    }
    const staging = device.createBuffer({ size: Math.max(at, 16), usage: MAP_READ | COPY_DST, label: 'readback' });
    return { uniform, steps, staging, outputs };
  }

  /** One encoder, one compute pass, the output copies, one submit. */
  private submit(state: State): void {
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const s of state.steps) {
      if (s.grid.some((g) => g === 0)) continue;
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(...s.grid);
    }
    pass.end();
    for (const o of state.outputs) if (o.from.bytes) encoder.copyBufferToBuffer(o.from.buffer, o.from.offset, state.staging, o.at, o.from.bytes);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Compute the derived weights: one submit at load. */
  async runPrologue(): Promise<void> {
    if (!MANIFEST.prologue.length) return;
    const state = this.buildState(new Map(), MANIFEST.prologue, { size: 0, offsets: new Map() }, false);
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
      state = this.buildState(env, MANIFEST.kernels, layout, true);
      this.states.set(key, state);
    }
    return state;
  }

  run(inputs: Inputs): Promise<Record<string, Tensor>> {
    const next = this.chain.then(() => this.runOnce(inputs));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The inputs checked and converted to GPU elements, with the symbol values they bind. */
  private gpuInputs(inputs: Inputs): { env: Symbols; data: (Float32Array | Int32Array | Uint32Array)[] } {
    const env = checkInputs(MANIFEST.contract, inputs);
    computeDims(env, MANIFEST.symbols, MANIFEST.computed);
    const data = MANIFEST.inputs.map((spec) => {
      const t = inputOf(inputs, spec.name) as Tensor;
      return toGpuElements(t.dtype, t.data, `input "${spec.name}"`);
    });
    return { env, data };
  }

  private async runOnce(inputs: Inputs): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new Error('webgpu: model used after dispose()');
    if (this.lost) throw new Error(this.lost);
    const { env, data } = this.gpuInputs(inputs);
    this.device.pushErrorScope('validation');
    const state = this.stateFor(env);
    MANIFEST.inputs.forEach((spec, i) => {
      const d = data[i];
      if (d.byteLength) this.device.queue.writeBuffer(this.inputBuffers.get(spec.buffer)!, 0, d.buffer, d.byteOffset, d.byteLength);
    });
    this.submit(state);
    const mapped = state.staging.mapAsync(MAP_MODE_READ).then(() => undefined, (e: Error) => e);
    const [invalid, unmappable] = await Promise.all([this.device.popErrorScope(), mapped]);
    if (invalid || unmappable) {
      if (!unmappable) state.staging.unmap();
      throw new Error(`webgpu: run failed: ${(invalid ?? unmappable)!.message}`);
    }
    const bytes = state.staging.getMappedRange();
    const outputs = Object.fromEntries(state.outputs.map((o): [string, Tensor] => [
      o.name, { dtype: o.dtype, shape: o.shape, data: fromGpuElements(o.dtype, bytes.slice(o.at, o.at + o.from.bytes), dimsProduct(o.shape, env)) },
    ]));
    state.staging.unmap();
    return outputs;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropStates();
    for (const b of [...this.fixed.values(), ...this.inputBuffers.values()]) b.destroy();
    this.arena?.destroy();
    if (this.ownsDevice) this.device.destroy();
  }
}
