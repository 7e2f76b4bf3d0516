// One threaded run, from the calling thread's side: shared by the in-process pool (threads.ts) and
// an exported model.js (aot/loader.ts inlines this file, so it imports nothing). The control words
// are [generation, done, ...symbol values]; every worker adds 1 to `done` when it leaves a run,
// whether its share finished or trapped (worker-source.ts). A run resets the header words, wakes
// the workers, runs share 0 here, and — also when share 0 failed, after raising the abort word so
// the others trap at their next barrier instead of waiting — returns only once every worker is done.
// So a failed run leaves no worker behind in it: the next run starts from the same state as the
// first (returning early let a late worker's barrier arrival, abort or trap land in the next run,
// which then hung or failed with the previous run's error).

/** The header words (memory-map.ts HEADER) the pool writes. */
export interface PoolHeader {
  readonly barrierCount: number;
  readonly abort: number;
  readonly counterBase: number;
  readonly spinOnly: number;
}

export interface PoolRunner {
  readonly memory: { readonly buffer: ArrayBuffer | SharedArrayBuffer };
  /** [generation, done, ...symbol values], shared with every worker. */
  readonly control: Int32Array;
  readonly workers: number;
  /** Work counters of threaded loops, zeroed before each run. */
  readonly counters: number;
  readonly header: PoolHeader;
  /** False on a browser's main thread, which may not block in Atomics.wait: barriers and the wait here spin. */
  readonly canBlock: boolean;
}

/** Spins before the caller sleeps waiting for the workers to leave a run. */
const POOL_SPINS = 1 << 14;

/** Wait until every worker has left the current run. */
function awaitWorkers(p: PoolRunner): void {
  for (let spins = 0; ; spins++) {
    const done = Atomics.load(p.control, 1);
    if (done >= p.workers) return;
    if (p.canBlock && spins >= POOL_SPINS) Atomics.wait(p.control, 1, done, 10);
  }
}

/** Run `own` (share 0) with the workers on these symbol values; returns or throws once all are done. */
export function runOnPool(p: PoolRunner, symbols: readonly number[], own: () => void): void {
  const h = new Int32Array(p.memory.buffer, 0, 16);
  Atomics.store(h, p.header.barrierCount / 4, 0);
  Atomics.store(h, p.header.abort / 4, 0);
  Atomics.store(h, p.header.spinOnly / 4, p.canBlock ? 0 : 1);
  new Int32Array(p.memory.buffer, Atomics.load(h, p.header.counterBase / 4), p.counters).fill(0);
  Atomics.store(p.control, 1, 0);
  p.control.set(symbols, 2);
  Atomics.add(p.control, 0, 1);
  Atomics.notify(p.control, 0);
  try {
    own();
  } catch (e) {
    Atomics.store(new Int32Array(p.memory.buffer, 0, 16), p.header.abort / 4, 1);
    throw e;
  } finally {
    awaitWorkers(p);
  }
}
