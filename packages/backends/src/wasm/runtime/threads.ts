// Worker threads over the shared memory. Each worker instantiates the same module on the same
// memory and sleeps on a control word (worker-source.ts); a run bumps the word (symbol values beside it), the
// calling thread runs its own share as thread 0 (shares are claimed from per-loop counters the
// pool zeroes first), and the barrier after the last kernel means
// every share is done when it returns. Workers spin only inside a run; between runs they sleep.
// A trap in any thread sets the abort word, so no thread spins forever. Workers come from the
// platform (#platform): worker_threads in Node. In a browser the calling thread may not block, so
// threads come with an AOT export, whose loader starts the same loop in Web Workers (aot/loader.ts).

import { platform } from '#platform';
import { HEADER } from '../codegen/memory-map.ts';
import type { WasmProgram } from '../codegen/program.ts';
import type { WasmMemory, WasmModule } from './engine.ts';
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
  const control = new SharedArrayBuffer(4 * (1 + symbols));
  const ctrl = new Int32Array(control);
  const workers = Array.from({ length: size - 1 }, (_, i) => platform.startWorker(WORKER_SOURCE, {
    module, memory, control, tid: i + 1, threads: size, symbols, abortWord: HEADER.abort / 4,
  } satisfies WorkerData));
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.unref();
  const header = () => new Int32Array(memory.buffer, 0, 16);
  return {
    size,
    run(values, own) {
      const h = header();
      Atomics.store(h, HEADER.barrierCount / 4, 0);
      Atomics.store(h, HEADER.abort / 4, 0);
      new Int32Array(memory.buffer, Atomics.load(h, HEADER.counterBase / 4), program.counters).fill(0);
      ctrl.set(values, 1);
      Atomics.add(ctrl, 0, 1);
      Atomics.notify(ctrl, 0);
      try {
        own();
      } catch (e) {
        Atomics.store(header(), HEADER.abort / 4, 1);
        throw e;
      }
    },
    close() {
      Atomics.store(ctrl, 0, -1);
      Atomics.notify(ctrl, 0);
      for (const w of workers) w.terminate();
    },
  };
}
