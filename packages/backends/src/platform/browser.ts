// The platform outside Node (browsers, Deno, workers): navigator for the core count, WebGPU only
// through navigator.gpu, and no in-process wasm threads. A browser's main thread may not block in
// Atomics.wait, which the in-process pool's barriers do; threads in a browser come with an
// ahead-of-time export, whose model.js spins instead (wasm/aot/loader.ts).

import type { Platform } from './types.ts';

export const platform: Platform = {
  async cores() {
    return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  },
  startWorker() {
    throw new Error('wasm threads in-process need Node; in a browser, threads come with an ahead-of-time export (its model.js takes load({ threads }))');
  },
  async enableRelaxedSimd() {},
  async gpuWithoutNavigator() {
    return 'no navigator.gpu in this runtime';
  },
};
