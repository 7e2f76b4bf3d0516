// prepare(engine, workload) → run(): loads every part of the workload on the engine with the
// shared weights, and gives back one run() that does the workload's steps (runWorkload) and
// returns the outputs with the engine's counters for that run. Loading is timed without reading
// the data files, and the process's RSS is taken before it, so what the engine adds shows.

import type { Tensor } from '@smelt/ir';
import type { Engine, EngineExecutable } from '../engines/engine.ts';
import { type KernelProfile, aggregateProfile } from '../report/kernel-profile.ts';
import { type WorkloadDef, workloadParts } from '../workloads/defs.ts';
import { loadData, workloadDir } from '../workloads/data.ts';
import { runWorkload } from '../workloads/run.ts';

export interface RunResult {
  readonly outputs: Map<string, Tensor>;
  /** The engine's counters summed over the parts' runs in this workload run, where it keeps any. */
  readonly stats?: Record<string, number>;
  /** Decoding workloads: ms from the start of the run to the first generated token on the host (encode included). */
  readonly firstTokenMs?: number;
}

export interface Prepared {
  run(): Promise<RunResult>;
  /**
   * One workload run with every part that can profile (smelt wasm, webgpu) doing profiled runs:
   * its time by kernel kind; undefined when no part profiled a kernel (peers, smelt-js, and parts
   * run only through runResident, as cached decoding's are).
   */
  profile(): Promise<KernelProfile | undefined>;
  readonly expected: ReadonlyMap<string, Tensor>;
  /** ms of engine.load over every part (compile for smelt; session or weight setup for the peers). */
  readonly loadMs: number;
  /** The smelt backends' backend.compile time over every part; undefined for the peers. */
  readonly compileMs?: number;
  /** RSS of the process with the data loaded, before the engine loaded anything. */
  readonly baseRssMB: number;
  dispose(): void;
}

function sumStats(parts: readonly EngineExecutable[]): Record<string, number> | undefined {
  let sum: Record<string, number> | undefined;
  for (const s of parts.map((p) => p.takeStats?.())) {
    if (!s) continue;
    sum ??= {};
    for (const [k, v] of Object.entries(s)) sum[k] = (sum[k] ?? 0) + v;
  }
  return sum;
}

export async function prepare(engine: Engine, def: WorkloadDef): Promise<Prepared> {
  const { weights, inputs, expected } = loadData(def.id);
  const ctx = { dir: workloadDir(def.id), weights };
  const baseRssMB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const parts: EngineExecutable[] = [];
  for (const part of workloadParts(def.shape)) parts.push(await engine.load(part, ctx));
  const loadMs = performance.now() - t0;
  const compiled = parts.map((p) => p.compileMs).filter((ms) => ms !== undefined);
  return {
    async run() {
      sumStats(parts); // counters of runs outside this one are dropped
      let firstTokenMs: number | undefined;
      const t0 = performance.now();
      const outputs = await runWorkload(def.shape, parts, inputs, () => { firstTokenMs ??= performance.now() - t0; });
      return { outputs, stats: sumStats(parts), firstTokenMs };
    },
    async profile() {
      const profiling = parts.filter((p) => p.setProfiling && p.takeProfile);
      if (!profiling.length) return undefined;
      profiling.forEach((p) => p.setProfiling!(true));
      try {
        const t0 = performance.now();
        await runWorkload(def.shape, parts, inputs);
        const runMs = performance.now() - t0;
        const samples = profiling.flatMap((p) => p.takeProfile!());
        return samples.length ? aggregateProfile(samples, runMs) : undefined;
      } finally {
        profiling.forEach((p) => p.setProfiling!(false));
        sumStats(parts);
      }
    },
    expected,
    loadMs,
    compileMs: compiled.length ? compiled.reduce((a, b) => a + b, 0) : undefined,
    baseRssMB,
    dispose: () => parts.forEach((p) => p.dispose()),
  };
}
