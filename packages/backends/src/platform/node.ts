// The platform under Node: the core count from node:os, pool workers on worker_threads (the source
// evaluated as a script, its data as workerData), V8's relaxed-SIMD flag, and WebGPU from the
// `webgpu` package (Dawn), loaded on first use. Dawn's create() result is kept for the life of the
// process: Dawn crashes when it is collected under a live device.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { GpuEntry, Platform } from './types.ts';

async function dawn(): Promise<GpuEntry | string> {
  if (!process.env.XDG_RUNTIME_DIR) {
    // Mesa's Vulkan drivers want a runtime folder; any private writable one serves.
    process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-xdg-'));
  }
  try {
    const { create, globals } = await import('webgpu');
    for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    const gpu = create([]);
    return { gpu, keepAlive: gpu };
  } catch (e) {
    return `the webgpu package (Dawn) failed to load: ${(e as Error).message}`;
  }
}

export const platform: Platform = {
  async cores() {
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  },
  startWorker(source, data) {
    const worker = new Worker(source, { eval: true, workerData: data });
    const ready = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    return { ready, unref: () => worker.unref(), terminate: () => void worker.terminate() };
  },
  async enableRelaxedSimd() {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // flags locked: WebAssembly.validate decides
    }
  },
  gpuWithoutNavigator: dawn,
};
