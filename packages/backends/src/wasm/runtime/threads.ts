// Worker threads over the shared memory. Each worker instantiates the same module on the same
// memory and sleeps on a control word (worker-source.ts); a run bumps the word (symbol values beside
// it), the calling thread runs its own share as thread 0 (shares are claimed from per-loop counters
// the pool zeroes first) and returns once every worker has left the run (pool-run.ts), also when
// it failed. Workers spin only inside a run; between runs they sleep. A trap in any thread sets the
// abort word, so no thread spins forever. Workers come from the platform (#platform): worker_threads
// in Node. In a browser the calling thread may not block, so threads come with an AOT export, whose
// loader starts the same loop in Web Workers (aot/loader.ts).

import { platform } from '#platform';
import { HEADER } from '../codegen/memory-map.ts';
import type { WasmProgram } from '../codegen/program.ts';
import type { WasmMemory, WasmModule } from './engine.ts';
import { runOnPool } from './pool-run.ts';
import { WORKER_SOURCE, type WorkerData } from './worker-source.ts';

export interface ThreadPool {
  readonly size: number;
  /** Wake the workers for one run with these symbol values, run `own` on this thread, return when all are done. */
  run(symbols: readonly number[], own: () => void): void;
  close(): void;
}

/** At most as many threads as cores: spinning threads must not share a core. */
export function availableCores(): Promise<number> {
  return platform.cores();
}

export async function startPool(module: WasmModule, memory: WasmMemory, program: WasmProgram, threads: number): Promise<ThreadPool> {
  const size = Math.min(threads, await availableCores());
  const symbols = program.memory.plan.symbols.length;
  const control = new SharedArrayBuffer(4 * (2 + symbols));
  const ctrl = new Int32Array(control);
  const workers = Array.from({ length: size - 1 }, (_, i) => platform.startWorker(WORKER_SOURCE, {
    module, memory, control, tid: i + 1, threads: size, symbols, abortWord: HEADER.abort / 4,
  } satisfies WorkerData));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.unref();
  const runner = { memory, control: ctrl, workers: size - 1, counters: program.counters, header: HEADER, canBlock: true };
  return {
    size,
    run(values, own) {
      runOnPool(runner, values, own);
    },
    close() {
      Atomics.store(ctrl, 0, -1);
      Atomics.notify(ctrl, 0);
      for (const w of workers) w.terminate();
    },
  };
}
