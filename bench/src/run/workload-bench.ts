// Benchmarking one workload on every selected engine: each engine in its own process loads the
// workload and is checked against the reference (a wrong answer is never timed); then warm-up
// runs; then timed runs in rounds, one run per engine per round, the starting engine rotating each
// round, so drift (thermal, other load) hits every engine alike. A row whose one run is too slow
// for the time budget gets fewer runs (never fewer than minRuns), and says how many. After the
// timed runs, each smelt row takes one profiled run (time by kernel kind) where its backend can.

import type { EngineSpec } from '../engines/engine.ts';
import type { WorkloadDef } from '../workloads/defs.ts';
import type { OnnxStatus } from '../workloads/onnx.ts';
import type { KernelProfile } from '../report/kernel-profile.ts';
import { type Summary, summarize } from '../report/stats.ts';
import type { CheckResult } from './check.ts';
import { EngineProcess } from './engine-process.ts';

export interface BenchOptions {
  /** Timed runs per engine (fewer when over the budget). */
  readonly runs: number;
  readonly warmup: number;
  /** Seconds of timed runs one engine may take on one workload before its run count is cut. */
  readonly budgetS: number;
  readonly minRuns: number;
  /** Run every engine on every workload, past the engines' default limits (EngineSpec.only). */
  readonly everywhere: boolean;
}

export type RowStatus = 'ok' | 'skipped' | 'unavailable' | 'failed' | 'wrong';

export interface Row {
  readonly engine: string;
  readonly group: 'smelt' | 'peer';
  status: RowStatus;
  reason?: string;
  /** engine.load over every part, data files already read (smelt: compile, as compileMs). */
  loadMs?: number;
  /** smelt engines only: backend.compile over every part, graph and weights to executable. */
  compileMs?: number;
  firstRunMs?: number;
  check?: CheckResult;
  about?: Record<string, string>;
  warmupRuns?: number;
  times: number[];
  /** The machine probe's GFLOP/s just before each timed run (run/simd-probe.ts), in step with times. */
  probe?: number[];
  /** Decoding workloads: ms to the first generated token (encode included) of each timed run, in step with times. */
  firstToken?: number[];
  summary?: Summary;
  /** The summary of firstToken. */
  firstTokenSummary?: Summary;
  stats?: Record<string, number>;
  /** smelt wasm and webgpu: one profiled run after the timed ones, time by kernel kind. */
  profile?: KernelProfile;
  /** Peak RSS of the engine's process; baseRssMB: its RSS with the data loaded, before the engine loaded. */
  maxRssMB?: number;
  baseRssMB?: number;
  osThreads?: number;
  idleCpuPct?: number;
}

interface Active {
  readonly row: Row;
  readonly proc: EngineProcess;
  target: number;
  /** A smelt engine of this checkout: it is asked for a profiled run (another checkout's may not know the command). */
  readonly profiles: boolean;
}

const PREPARE_TIMEOUT_MS = 15 * 60_000;

function runTimeout(row: Row): number {
  return Math.max(120_000, 20 * (row.firstRunMs ?? 0));
}

async function start(spec: EngineSpec, def: WorkloadDef, log: (s: string) => void): Promise<Active> {
  const row: Row = { engine: spec.name, group: spec.group, status: 'failed', times: [] };
  const proc = new EngineProcess(spec.name, spec.baseline?.tree);
  const r = await proc.request({ type: 'prepare', engine: spec.baseline?.engine ?? spec.name, workload: def.id }, PREPARE_TIMEOUT_MS);
  if (r.type === 'prepared') {
    const { loadMs, compileMs, baseRssMB, firstRunMs, check, about } = r;
    Object.assign(row, { loadMs, compileMs, baseRssMB, firstRunMs, check, about, status: check.ok ? 'ok' : 'wrong' });
    if (!check.ok) row.reason = `output check failed: ${check.detail}`;
    const load = compileMs === undefined ? `load ${loadMs.toFixed(0)} ms` : `compile ${compileMs.toFixed(0)} ms`;
    log(`  ${spec.name.padEnd(20)} ${load}, first run ${firstRunMs.toFixed(1)} ms, ${check.detail}${check.ok ? '' : ' — NOT TIMED'}`);
  } else {
    row.status = r.type === 'unavailable' ? 'unavailable' : 'failed';
    row.reason = r.type === 'unavailable' ? r.reason : r.type === 'error' ? r.message : `unexpected reply ${r.type}`;
    log(`  ${spec.name.padEnd(20)} ${row.status === 'unavailable' ? 'not available' : 'FAILED'}: ${firstLine(row.reason)}`);
  }
  return { row, proc, target: 0, profiles: spec.group === 'smelt' && !spec.baseline };
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

async function runOnce(a: Active): Promise<{ ms: number; probe: number; firstTokenMs?: number } | undefined> {
  const r = await a.proc.request({ type: 'run' }, runTimeout(a.row));
  if (r.type === 'ran') {
    if (r.stats) a.row.stats = r.stats;
    return { ms: r.ms, probe: r.probeGflops, firstTokenMs: r.firstTokenMs };
  }
  a.row.status = 'failed';
  a.row.reason = r.type === 'error' ? r.message : `unexpected reply ${r.type}`;
  return undefined;
}

/** One profiled run; a failure is logged and leaves the row's times as they are. */
async function profileOnce(a: Active, log: (s: string) => void): Promise<void> {
  const r = await a.proc.request({ type: 'profile' }, runTimeout(a.row));
  if (r.type === 'profiled') {
    if (r.profile) a.row.profile = r.profile;
  } else {
    log(`  ${a.row.engine.padEnd(20)} profile FAILED: ${firstLine(r.type === 'error' ? r.message : `unexpected reply ${r.type}`)}`);
  }
}

async function finish(a: Active): Promise<void> {
  const r = await a.proc.request({ type: 'finish' }, 60_000);
  if (r.type === 'finished') Object.assign(a.row, { maxRssMB: r.maxRssMB, osThreads: r.osThreads, idleCpuPct: r.idleCpuPct });
  a.proc.kill();
}

function notRunRow(spec: EngineSpec, status: 'skipped' | 'unavailable', reason: string, log: (s: string) => void): Row {
  log(`  ${spec.name.padEnd(20)} ${status === 'skipped' ? 'skipped' : 'not available'}: ${reason}`);
  return { engine: spec.name, group: spec.group, status, reason, times: [] };
}

/** A warm-up run this much faster than the one before means the engine is still warming up. */
const STILL_WARMING = 0.95;
const MAX_WARMUP_RUNS = 12;

/**
 * At least `warmup` runs, then more while each is still clearly faster than the one before (V8
 * tiers hot wasm and JS up to optimized code in the background, some engines over many runs), up
 * to MAX_WARMUP_RUNS or half the budget. Then: how many timed runs fit the budget.
 */
async function warmUp(a: Active, opts: BenchOptions): Promise<void> {
  let prev = a.row.firstRunMs ?? 0;
  let spent = 0;
  for (let i = 0; a.row.status === 'ok' && i < MAX_WARMUP_RUNS; i++) {
    const ms = (await runOnce(a))?.ms;
    if (ms === undefined) break;
    const warming = ms < prev * STILL_WARMING;
    prev = ms;
    spent += ms;
    a.row.warmupRuns = i + 1;
    if (i + 1 >= opts.warmup && (!warming || spent > (opts.budgetS * 1000) / 2)) break;
  }
  const fit = Math.floor((opts.budgetS * 1000) / Math.max(prev, 1e-3));
  a.target = Math.min(opts.runs, Math.max(opts.minRuns, fit));
}

/** One run per engine per round; round r starts at engine r (mod count). */
async function timeInRounds(timed: readonly Active[], log: (s: string) => void): Promise<void> {
  const rounds = Math.max(0, ...timed.map((a) => a.target));
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    for (let i = 0; i < timed.length; i++) {
      const a = timed[(i + round) % timed.length];
      if (a.row.status !== 'ok' || a.row.times.length >= a.target) continue;
      const ran = await runOnce(a);
      if (!ran) continue;
      a.row.times.push(ran.ms);
      (a.row.probe ??= []).push(ran.probe);
      if (ran.firstTokenMs !== undefined) (a.row.firstToken ??= []).push(ran.firstTokenMs);
    }
    log(`  round ${round + 1}/${rounds}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** Whether the workload's own engine limit lets this engine run it. */
export function workloadRuns(def: WorkloadDef, engine: string, everywhere: boolean): boolean {
  return everywhere || !def.engines || def.engines.prefixes.some((p) => engine.startsWith(p));
}

export async function benchWorkload(def: WorkloadDef, specs: readonly EngineSpec[], opts: BenchOptions, onnx: OnnxStatus | undefined, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const started: Active[] = [];
  for (const spec of specs) {
    if (spec.only && !opts.everywhere && !spec.only.workloads.includes(def.id)) {
      rows.push(notRunRow(spec, 'skipped', `${spec.only.why} (--everywhere runs it)`, log));
    } else if (!workloadRuns(def, spec.name, opts.everywhere)) {
      rows.push(notRunRow(spec, 'skipped', `${def.engines!.why} (--everywhere runs it)`, log));
    } else if (spec.needsOnnx && onnx && !onnx.ok) {
      rows.push(notRunRow(spec, 'unavailable', `no ONNX model: ${onnx.reason}`, log));
    } else {
      const a = await start(spec, def, log);
      rows.push(a.row);
      started.push(a);
    }
  }
  const timed = started.filter((a) => a.row.status === 'ok');
  for (const a of timed) await warmUp(a, opts);
  await timeInRounds(timed, log);
  for (const a of timed) if (a.profiles && a.row.status === 'ok') await profileOnce(a, log);
  for (const a of started) {
    if (a.row.times.length) a.row.summary = summarize(a.row.times);
    if (a.row.firstToken?.length) a.row.firstTokenSummary = summarize(a.row.firstToken);
    await finish(a);
  }
  return rows;
}
