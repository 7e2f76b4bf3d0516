// The results file: bench/results/<date>.json with the machine (CPUs, memory, OS, Node), the
// versions of every package that ran, the options, each workload's rows with their raw times, and
// the issues' figures computed from them.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_ROOT } from '../workloads/data.ts';
import type { PipelineTime } from '../run/pipeline-time.ts';
import type { Row } from '../run/workload-bench.ts';
import type { Baseline } from './table.ts';
import type { TargetResult } from './targets.ts';

export interface WorkloadResult {
  readonly id: string;
  readonly title: string;
  readonly flops: number;
  /** Decoding workloads: tokens one run generates. */
  readonly tokens?: number;
  readonly baseline?: Baseline;
  readonly onnx?: string;
  /** 1-minute load average before and after: other work on the machine shows here. */
  readonly loadAverage: readonly [number, number];
  /** Seconds the workload took in all: data, ONNX export, loading, checks, warm-up and timing. */
  readonly elapsedS?: number;
  /** smelt's compiler from model source to kernel plan (no backend), in the bench's process. */
  readonly pipeline?: PipelineTime;
  readonly rows: readonly Row[];
}

export interface ResultsDoc {
  readonly date: string;
  readonly command: string;
  readonly machine: { readonly cpuCount: number } & Record<string, unknown>;
  readonly smelt: string;
  readonly workloads: readonly WorkloadResult[];
}

export function machine(): ResultsDoc['machine'] {
  const cpus = os.cpus();
  return {
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model, cpuCount: cpus.length, cpuMHz: cpus[0]?.speed,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version,
  };
}

/** Versions of the bench's devDependencies as installed (each package's own package.json). */
export function versions(): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(BENCH_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const out: Record<string, string> = {};
  for (const name of Object.keys(pkg.devDependencies)) {
    try {
      out[name] = (JSON.parse(fs.readFileSync(path.join(BENCH_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      out[name] = 'not installed';
    }
  }
  return out;
}

/** The smelt commit measured (read-only git query; "unknown" outside a checkout). */
function smeltCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: BENCH_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

export function readResults(file: string): { file: string; doc: ResultsDoc } {
  return { file, doc: JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsDoc };
}

export function writeResults(file: string, command: string, options: object, workloads: readonly WorkloadResult[], targets: readonly TargetResult[]): void {
  const doc = {
    date: new Date().toISOString(), command, options, machine: machine(), smelt: smeltCommit(), versions: versions(),
    method: 'each engine in its own process; outputs checked against smelt\'s reference interpreter (max abs err ≤ 1e-3, tokens exact) before timing; warm-up until runs stop getting faster; timed runs interleaved in rounds (one run per engine per round, the first engine rotating); ms of one whole workload run, outputs read back to the host; GFLOP/s = the workload\'s analytic FLOP count (smelt\'s kernel plan) ÷ median; probe = GFLOP/s of a fixed wasm SIMD loop timed in the engine\'s process just before each timed run (how much of its core it had); compileMs = smelt\'s backend.compile; pipeline = smelt\'s build + optimize + lower to the kernel plan, no backend, median of 7 in the bench process; maxRssMB = peak RSS of the engine\'s own process',
    workloads, targets,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}
