// The files next to an exported model.wasm: model.js, a small ES module loader with no smelt
// import (Node reads files beside it, browsers fetch them; relaxed SIMD is used when the engine
// validates that build; `load({ threads: n })` runs the threaded build on worker_threads in Node
// and Web Workers in a browser, over a shared memory), and model.d.ts typing its inputs and
// outputs by name. It inlines what the in-process executable uses too: the input check
// (input-check.ts), device tensors kept in the memory between runs (wasm-resident.ts: the loaded
// model offers resident.ts' interface, upload / download / selectRows / runResident / transfers),
// one threaded run (pool-run.ts) and the message of a trap (trap.ts).

import { jsonLiteral, residentDeclarations, tensorDeclarations } from '../../render/aot-types.ts';
import { commentText } from '../../render/source-text.ts';
import { LOADER_JS } from './loader-source.ts';
import { HEADER, SLACK } from '../codegen/memory-map.ts';
import { WORKER_SOURCE } from '../runtime/worker-source.ts';
import type { Manifest } from './manifest.ts';

export const FILES = {
  plain: 'model.wasm', relaxed: 'model-relaxed.wasm', threads: 'model-threads.wasm', threadsRelaxed: 'model-threads-relaxed.wasm',
  image: 'model.bin', loader: 'model.js', types: 'model.d.ts',
} as const;

export function loaderSource(manifest: Manifest): string {
  return `// ${commentText(manifest.name)}: a model compiled by smelt to WebAssembly. Standalone: no smelt import.
// load() reads ${FILES.plain} (or ${FILES.relaxed} where the engine accepts relaxed SIMD) and the
// weights image ${FILES.image}; run() takes and returns { dtype, shape, data } tensors by name.
// load({ threads: n }) uses ${FILES.threads} (${FILES.threadsRelaxed}) on a shared memory with n - 1
// workers (worker_threads in Node, Web Workers in a browser, which must then be cross-origin
// isolated); at most one thread per core; results are identical to one thread. Tensors can stay in
// the model's memory between runs (upload, runResident with outputs to keep, download): see model.d.ts.

const MANIFEST = ${jsonLiteral(manifest)};
const FILES = ${jsonLiteral(FILES)};
const HEADER = ${jsonLiteral(HEADER)};
const SLACK = ${SLACK};
const WORKER_SOURCE = ${jsonLiteral(WORKER_SOURCE)};
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const pages = (bytes) => Math.ceil(bytes / 65536);


async function read(name) {
  const url = new URL(name, import.meta.url);
  if (url.protocol === 'file:') return new Uint8Array(await (await import('node:fs/promises')).readFile(url));
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

async function accepts(bytes) {
  if (isNode) {
    try { (await import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* validate decides */ }
  }
  return WebAssembly.validate(bytes);
}

${LOADER_JS}
// Run wasm code; a trap becomes an error naming the kernel the calling thread was in.
function guarded(memory, body) {
  try {
    body();
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const i = new Int32Array(memory.buffer, HEADER.currentKernel, 1)[0];
    throw new Error(trapMessage('run', i, MANIFEST.kernels[i], e.message));
  }
}
async function cores() {
  if (isNode) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

function threadCount(threads) {
  if (!Number.isInteger(threads) || threads < 1) throw new Error('load: threads must be a positive integer, got ' + JSON.stringify(threads));
  return threads;
}

// n - 1 workers running WORKER_SOURCE on the module and memory; resolves when all are ready.
async function startWorkers(module, memory, n) {
  const control = new SharedArrayBuffer(4 * (2 + MANIFEST.symbols.length));
  const data = (tid) => ({ module, memory, control, tid, threads: n, symbols: MANIFEST.symbols.length, abortWord: HEADER.abort / 4 });
  let workers;
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    workers = Array.from({ length: n - 1 }, (_, i) => new Worker(WORKER_SOURCE, { eval: true, workerData: data(i + 1) }));
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
    for (const w of workers) w.unref();
  } else {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    workers = Array.from({ length: n - 1 }, () => new Worker(url));
    await Promise.all(workers.map((w, i) => new Promise((resolve, reject) => {
      w.addEventListener('message', resolve, { once: true });
      w.addEventListener('error', (e) => reject(new Error('load: a worker failed to start: ' + (e.message ?? e))), { once: true });
      w.postMessage(data(i + 1));
    })));
    URL.revokeObjectURL(url);
  }
  const ctrl = new Int32Array(control);
  // A browser's main thread may not block (Atomics.wait traps there): barriers and the wait for the workers spin.
  const runner = { memory, control: ctrl, workers: n - 1, counters: MANIFEST.counters, header: HEADER, canBlock: isNode };
  return {
    // One run: the workers woken, the caller's own share as thread 0; returns once every worker has left it.
    run(symbols, own) {
      runOnPool(runner, symbols, own);
    },
    close() {
      Atomics.store(ctrl, 0, -1);
      Atomics.notify(ctrl, 0);
      for (const w of workers) w.terminate();
    },
  };
}

export async function load(options = {}) {
  const wanted = threadCount(options.threads ?? 1);
  const threads = wanted > 1 ? Math.min(wanted, await cores()) : 1;
  if (threads > 1 && !isNode && !globalThis.crossOriginIsolated) {
    throw new Error('load: threads need SharedArrayBuffer, so the page must be cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
  }
  const [plainFile, relaxedFile] = threads > 1 ? [FILES.threads, FILES.threadsRelaxed] : [FILES.plain, FILES.relaxed];
  const [relaxed, image] = await Promise.all([read(relaxedFile), read(FILES.image)]);
  const simd = (await accepts(relaxed)) ? 'relaxed' : 'plain';
  const bytes = simd === 'relaxed' ? relaxed : await read(plainFile);
  const memory = new WebAssembly.Memory({ initial: pages(MANIFEST.staticEnd), maximum: MANIFEST.maximumPages, shared: threads > 1 });
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  new Uint8Array(memory.buffer, MANIFEST.imageBase, image.length).set(image);
  const wasm = instance.exports;
  const pool = threads > 1 ? await startWorkers(module, memory, threads) : undefined;
  const ensure = (end) => {
    if (pages(end) > MANIFEST.maximumPages) throw new Error('wasm: these shapes need ' + pages(end) + ' pages of memory, more than the ' + MANIFEST.maximumPages + ' allowed');
    const grow = pages(end) - memory.buffer.byteLength / 65536;
    if (grow > 0) memory.grow(grow);
  };
  const resident = new WasmResidency(memory, MANIFEST.staticEnd, SLACK, ensure);
  let closed = false;
  const live = (what) => { if (closed) throw new Error(what + ': the model is disposed'); };
  // One run: inputs on the host or in the memory; the outputs named in keep stay there.
  const runWith = (inputs, keep) => {
    live('run');
    const onDevice = resident.deviceInputs(inputs, MANIFEST.inputs);
    const env = checkInputs(MANIFEST.contract, inputs, onDevice);
    computeDims(env, MANIFEST.symbols, MANIFEST.computed);
    const symbols = MANIFEST.symbols.map((s) => env.get(s));
    const shapeOf = (shape) => shape.map((d) => (typeof d === 'number' ? d : env.get(d)));
    const kept = resident.allocate(keep, MANIFEST.outputs, shapeOf);
    try {
      new Int32Array(memory.buffer, HEADER.runtimeBase, 1)[0] = resident.heap.end;
      ensure(Math.max(resident.heap.end, wasm.layout(threads, ...symbols)));
      resident.bind(inputs, MANIFEST.inputs, onDevice, kept);
      if (pool) {
        guarded(memory, () => pool.run(symbols, () => wasm.run(0, threads, ...symbols)));
      } else {
        guarded(memory, () => wasm.run(0, 1, ...symbols));
      }
    } catch (e) {
      for (const k of kept) k.tensor.dispose();
      throw e;
    }
    const outputs = {};
    for (const [name, t] of resident.collect(MANIFEST.outputs, kept, shapeOf)) {
      Object.defineProperty(outputs, name, { value: t, enumerable: true, writable: true, configurable: true });
    }
    return outputs;
  };
  return {
    simd,
    threads,
    dispose() {
      if (!closed) pool?.close();
      closed = true;
    },
    run: (inputs) => runWith(inputs, new Set()),
    runResident: (inputs, keep) => runWith(inputs, new Set(keep)),
    upload(t) {
      live('upload');
      return resident.upload(t);
    },
    download: async (t) => resident.download(t),
    selectRows: (t, rows) => resident.selectRows(t, rows),
    get transfers() {
      return { ...resident.counts };
    },
  };
}
`;
}

export function typesSource(manifest: Manifest): string {
  return `// Types of model.js (${commentText(manifest.name)}), generated by smelt.

${tensorDeclarations(manifest.inputs, manifest.outputs)}

export interface LoadOptions {
  /**
   * Threads per run (default 1), at most one per core: n - 1 workers share the memory
   * (worker_threads in Node; Web Workers in a browser, which must be cross-origin isolated).
   */
  readonly threads?: number;
}

${residentDeclarations()}

export interface Model extends ResidentModel {
  /** The build in use: relaxed SIMD where the engine accepts it. */
  readonly simd: 'plain' | 'relaxed';
  /** Threads each run uses. */
  readonly threads: number;
  run(inputs: Inputs | ReadonlyMap<string, Tensor>): Outputs;
  /** run() with inputs that may be device tensors, and the outputs named in \`keep\` left in the memory as device tensors. */
  runResident(inputs: ResidentInputs, keep: Iterable<keyof Outputs & string>): ResidentOutputs;
  /** Stop the worker threads (a no-op with one thread); run() fails afterwards. */
  dispose(): void;
}

export declare function load(options?: LoadOptions): Promise<Model>;
`;
}
