// Getting a WebGPU device with the standard API only: `navigator.gpu` where it exists (browsers,
// Deno), else what the platform offers (#platform: the `webgpu` package, Dawn, in Node, loaded
// lazily and held for the life of the process). Devices ask for the adapter's largest buffer and
// binding limits, and record loss and uncaptured errors so a run reports them instead of waiting
// forever. A build that needs adapter features (precision f16 needs shader-f16) asks for them, or
// says which adapter lacks which.

import type {} from 'webgpu';
import { platform } from '#platform';
import type { GpuEntry } from '../platform/types.ts';
import { requireFeatures } from './portable-host.ts';

export const NO_ADAPTER_HINT = 'install Mesa lavapipe (see smelt\'s README.md, "Two commands": scripts/setup-system.sh installs mesa-vulkan-drivers from bookworm-backports) or run where a GPU is present';

let entry: Promise<GpuEntry | string> | undefined;
const sharedDevices = new Map<string, Promise<GpuDevice>>();
let availability: Promise<string | undefined> | undefined;

function gpuEntry(): Promise<GpuEntry | string> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  entry ??= nav?.gpu ? Promise.resolve({ gpu: nav.gpu, keepAlive: nav.gpu }) : platform.gpuWithoutNavigator();
  return entry;
}

/** A fresh adapter (each device consumes one), or a plain reason why there is none. */
export async function requestAdapter(): Promise<GPUAdapter | string> {
  const e = await gpuEntry();
  if (typeof e === 'string') return e;
  const adapter = await e.gpu.requestAdapter({ powerPreference: 'high-performance' });
  return adapter ?? `no WebGPU adapter: ${NO_ADAPTER_HINT}`;
}

/** Why WebGPU cannot run here, or undefined when it can. Asked once per process. */
export function webgpuUnavailable(): Promise<string | undefined> {
  availability ??= requestAdapter().then((a) => (typeof a === 'string' ? a : undefined));
  return availability;
}

/** Limits a device asks for at the adapter's maximum (an exported model.js asks for the same). */
export const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
] as const;

/** A device and what went wrong with it so far. */
export class GpuDevice {
  lostReason: string | undefined;
  readonly errors: string[] = [];
  readonly lost: Promise<string>;

  private constructor(readonly device: GPUDevice, readonly adapter: GPUAdapter) {
    this.lost = device.lost.then((info) => {
      this.lostReason = `WebGPU device lost (${info.reason}): ${info.message}`;
      return this.lostReason;
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => { this.errors.push(ev.error.message); };
  }

  /** A device with `features` (which `purpose` needs, named when the adapter lacks one), plus those of `optional(adapter)` it has. */
  static async create(features: readonly string[] = [], purpose = 'this build', optional: (adapter: GPUAdapter) => readonly string[] = () => []): Promise<GpuDevice> {
    const adapter = await requestAdapter();
    if (typeof adapter === 'string') throw new Error(adapter);
    requireFeatures(adapter, features, purpose);
    features = [...features, ...optional(adapter).filter((f) => adapter.features.has(f) && !features.includes(f))];
    const requiredLimits: Record<string, number> = {};
    for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
    const device = await adapter.requestDevice({ requiredFeatures: features as GPUFeatureName[], requiredLimits, label: 'smelt' });
    return new GpuDevice(device, adapter);
  }

  /**
   * The process's device for these features, shared by every executable that asks for them (with
   * its pipeline cache): compiling a model again reuses its compiled and warmed-up pipelines, and
   * disposing an executable frees its buffers without destroying what others use. A lost device is
   * dropped, so the next compile gets a fresh one.
   */
  static shared(features: readonly string[], purpose: string, optional: (adapter: GPUAdapter) => readonly string[]): Promise<GpuDevice> {
    const key = [...features].sort().join(',');
    const have = sharedDevices.get(key);
    if (have) {
      return have.then((gpu) => (gpu.lostReason ? (sharedDevices.delete(key), GpuDevice.shared(features, purpose, optional)) : gpu));
    }
    const made = GpuDevice.create(features, purpose, optional);
    sharedDevices.set(key, made);
    made.then((gpu) => gpu.lost.then(() => { if (sharedDevices.get(key) === made) sharedDevices.delete(key); }), () => sharedDevices.delete(key));
    return made;
  }

  /** Pipelines compiled on this device, by WGSL text (pipelines.ts), and whether each was dispatched once. */
  readonly pipelines = new Map<string, Promise<{ readonly pipeline: GPUComputePipeline; readonly layout: GPUBindGroupLayout }>>();
  readonly warm = new Set<string>();

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Throw if the device is gone or an earlier command failed validation. */
  check(): void {
    if (this.lostReason) throw new Error(this.lostReason);
    const e = this.errors.splice(0);
    if (e.length) throw new Error(`WebGPU error: ${e.join('; ')}`);
  }

  /** Await `p`, but fail at once with the loss reason if the device is lost first. */
  async orLost<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lost.then((why): never => { throw new Error(why); })]);
  }

  /** Run `f` inside validation and out-of-memory error scopes; throw the first error they catch. */
  async scoped<T>(what: string, f: () => T): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const result = f();
    const [validation, oom] = await this.orLost(Promise.all([this.device.popErrorScope(), this.device.popErrorScope()]));
    const err = validation ?? oom;
    if (err) throw new Error(`webgpu: ${what}: ${err.message}`);
    return result;
  }

  destroy(): void {
    this.device.destroy();
  }
}
