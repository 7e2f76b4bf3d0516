// The host of an exported model.js, with the WebGPU API alone: export (model-js.ts) inlines
// portable-host.ts, then this file, after `const MANIFEST = {…}`; imports here are types only, or
// of embedded files. It follows the in-process executable: pipelines created once per distinct
// kernel, weights uploaded once, the prologue run at load, then runs on the loaded model
// (gpu-model.ts: device tensors and the token choice too).

import { requireFeatures } from '../portable-host.ts';
import { GpuModel, type Model, type Pipeline, createPipeline } from './gpu-model.ts';
import type { ProgramSpec, WebGpuManifest } from './manifest.ts';

declare const MANIFEST: WebGpuManifest;

export interface LoadOptions {
  readonly gpu?: GPU;
  /** Run on this device (not destroyed by dispose) instead of opening one from `gpu`. */
  readonly device?: GPUDevice;
  readonly baseUrl?: string | URL;
  readonly read?: (file: string) => Promise<Uint8Array>;
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
/** One pipeline per .wgsl file, its bind group layout from the first kernel using it (same text, same bindings). */
function createPipelines(device: GPUDevice, codes: readonly string[]): Promise<Pipeline[]> {
  const first = new Map<number, ProgramSpec>();
  for (const p of [...MANIFEST.prologue, ...MANIFEST.kernels]) if (!first.has(p.shader)) first.set(p.shader, p);
  return Promise.all(codes.map((code, i) => createPipeline(device, code, first.get(i)!.bindings, first.get(i)!.label, MANIFEST.shaders[i])));
}
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

