// The loop every worker thread of the wasm backend runs, as plain JavaScript source: Node's
// worker_threads evaluate it (as CommonJS or as an ES module; it reads workerData), a browser's Web Worker loads it from a Blob
// URL and gets the same data in its first message. It instantiates the module on the shared
// memory, says "ready", then sleeps on the control word; each bump of the word is a run with the
// symbol values beside it; a negative word ends the loop. A trap sets the abort word, so the
// threads waiting in a barrier trap too instead of waiting forever. Leaving a run, finished or
// trapped, the worker counts itself in the `done` word the caller waits on (pool-run.ts). Shared by
// the in-process thread pool and the standalone loader of an AOT export (which inlines this text).

export interface WorkerData {
  readonly module: unknown;
  readonly memory: unknown;
  /** SharedArrayBuffer: [generation, done, ...symbol values]. */
  readonly control: SharedArrayBuffer;
  readonly tid: number;
  readonly threads: number;
  readonly symbols: number;
  /** i32 index of the abort word in memory. */
  readonly abortWord: number;
}

export const WORKER_SOURCE = `
function start(data, post) {
  const { module, memory, control, tid, threads, symbols, abortWord } = data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ctrl = new Int32Array(control);
  let seen = 0;
  post('ready');
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    const gen = Atomics.load(ctrl, 0);
    if (gen < 0) break;
    seen = gen;
    try {
      instance.exports.run(tid, threads, ...Array.from(ctrl.subarray(2, 2 + symbols)));
    } catch {
      Atomics.store(new Int32Array(memory.buffer), abortWord, 1);
    }
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  // import(), not require: an eval'd worker is an ES module when the parent ran with --input-type=module.
  import('node:worker_threads').then(({ parentPort, workerData }) => start(workerData, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
}
`;
