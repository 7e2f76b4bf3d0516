// What the backends need from the platform they run on. One implementation per platform, chosen by
// the "#platform" entry of the package's "imports" map: node.ts under Node (worker_threads, V8
// flags, Dawn from the `webgpu` package), browser.ts everywhere else. Only node.ts imports node:
// modules, so a browser bundle of the backends needs no shims.

import type {} from 'webgpu';

/** A worker thread of the wasm thread pool. */
export interface PoolWorker {
  /** Settles on the worker's first message ("ready") or its first error. */
  readonly ready: Promise<unknown>;
  /** Let the process exit while the worker sleeps. */
  unref(): void;
  terminate(): void;
}

/** A WebGPU entry point, and what must stay referenced while its devices live. */
export interface GpuEntry {
  readonly gpu: GPU;
  readonly keepAlive: unknown;
}

export interface Platform {
  /** Cores a thread pool may use. */
  cores(): Promise<number>;
  /** Start a worker that evaluates `source` with `data` (worker-source.ts); throws where in-process threads cannot run. */
  startWorker(source: string, data: unknown): PoolWorker;
  /** Let relaxed SIMD compile where the engine keeps it behind a flag (V8 in Node 20); nothing elsewhere. */
  enableRelaxedSimd(): Promise<void>;
  /** WebGPU where there is no navigator.gpu (Dawn in Node), or why there is none. */
  gpuWithoutNavigator(): Promise<GpuEntry | string>;
}
