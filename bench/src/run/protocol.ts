// Messages between the bench (parent) and one engine's process (run/child.ts), over Node's IPC.
// One process per engine and workload: a crash, a leak or a thread pool stays in its process, and
// its peak RSS is that engine's alone.

import type { KernelProfile } from '../report/kernel-profile.ts';
import type { CheckResult } from './check.ts';

export type Command =
  | { readonly type: 'prepare'; readonly engine: string; readonly workload: string }
  | { readonly type: 'run' }
  /** One profiled workload run (smelt wasm and webgpu): time by kernel kind. */
  | { readonly type: 'profile' }
  | { readonly type: 'finish' };

export type Reply =
  | { readonly type: 'unavailable'; readonly reason: string }
  | {
    readonly type: 'prepared'; readonly loadMs: number; readonly firstRunMs: number;
    /** smelt engines: backend.compile over every part. */
    readonly compileMs?: number;
    readonly baseRssMB: number;
    readonly check: CheckResult; readonly about: Record<string, string>;
  }
  | {
    readonly type: 'ran'; readonly ms: number; readonly stats?: Record<string, number>;
    /** GFLOP/s of the machine probe (run/simd-probe.ts) just before this run. */
    readonly probeGflops: number;
    /** Decoding workloads: ms to the first generated token, encode included. */
    readonly firstTokenMs?: number;
  }
  | { readonly type: 'profiled'; readonly profile?: KernelProfile }
  | {
    readonly type: 'finished'; readonly maxRssMB: number; readonly osThreads?: number;
    /** CPU used while waiting between runs, in % of one core over that wall time. */
    readonly idleCpuPct?: number;
  }
  | { readonly type: 'error'; readonly message: string };
