// The figures the issues ask of the bench (3: compiler speed, 4: JS backend, 5: wasm, 6: WebGPU,
// 13: decoding with the key/value cache), as data: each one reads times or GFLOP/s from the rows of
// one workload (and, for the cache's own gain, of the same decoding over the whole prefix), and says
// what it wants.
// Each is computed from the medians and again from the best (min) runs: on a shared machine the
// best run is the one least disturbed by other load; the machine probe of the engines a figure
// compares (report/probe.ts) says how disturbed their runs were. Printed after the tables and kept
// in the results file; a figure whose workload did not run is left out, one whose engines did not run says which.

import type { WorkloadResult } from './results.ts';
import { probeBest, probePct } from './probe.ts';
import { formatStats } from './table.ts';

export interface TargetResult {
  readonly issue: number;
  readonly figure: string;
  readonly workload: string;
  /** The wanted minimum; undefined for a figure only reported. */
  readonly want?: number;
  /** The wanted maximum (a time), instead of a minimum. */
  readonly atMost?: number;
  readonly unit: Unit;
  /** From the medians. */
  readonly value?: number;
  /** From the best runs (min ms). */
  readonly best?: number;
  /** What the value compares against, when the figure picks it (the fastest peer). */
  readonly against?: string;
  /** What else the figure reports (smelt-webgpu: its RunStats per forward). */
  readonly detail?: string;
  /** The machine probe of the engines compared: "smelt-wasm 98%, ort-web-1t 95%" (results files since the probe). */
  readonly probe?: string;
  readonly missing?: string;
}

type Unit = '×' | 'GFLOP/s' | 'ms';

interface Lookup {
  /** Median (or min) ms of an engine's row that ran. */
  ms(engine: string): number | undefined;
  gflops(engine: string): number | undefined;
  /** smelt's compiler pipeline ms (median or min) for the workload. */
  pipelineMs(): number | undefined;
  /** The row's per-run counters, where the engine keeps any. */
  stats(engine: string): Readonly<Record<string, number>> | undefined;
  /** The workload's FLOPs per run, and the fastest machine probe timed in it (GFLOP/s: one core's f32x4 peak). */
  readonly flops: number;
  readonly probeBest?: number;
}

type Value = { value: number; against?: string; detail?: string } | undefined;

interface Target {
  readonly issue: number;
  readonly figure: string;
  readonly workload: string;
  /** A second workload the value reads (`other`), e.g. full-prefix decoding against the cache. */
  readonly versus?: string;
  readonly engines: readonly string[];
  readonly want?: number;
  readonly atMost?: number;
  readonly unit: Unit;
  value(w: Lookup, other?: Lookup): Value;
}

/** How many times faster `engine` is than `than` (their medians' ratio). */
function speedup(engine: string, than: string) {
  return (w: Lookup): Value => {
    const [a, b] = [w.ms(engine), w.ms(than)];
    return a && b ? { value: b / a } : undefined;
  };
}

/** Speedup of `engine` over the fastest of `peers` that ran. */
function speedupOverFastest(engine: string, peers: readonly string[]) {
  return (w: Lookup): Value => {
    const ran = peers.filter((p) => w.ms(p) !== undefined).sort((p, q) => w.ms(p)! - w.ms(q)!);
    const best = speedup(engine, ran[0] ?? '')(w);
    return best && { ...best, against: ran[0] };
  };
}

function gflops(engine: string) {
  return (w: Lookup): Value => {
    const g = w.gflops(engine);
    return g === undefined ? undefined : { value: g };
  };
}

function gflopsRatio(engine: string, to: string) {
  return (w: Lookup): Value => {
    const [a, b] = [w.gflops(engine), w.gflops(to)];
    return a && b ? { value: a / b } : undefined;
  };
}

/** Median ms of a run, with the engine's counters for that run. */
function msWithStats(engine: string) {
  return (w: Lookup): Value => {
    const [ms, stats] = [w.ms(engine), w.stats(engine)];
    return ms === undefined ? undefined : { value: ms, detail: stats && formatStats(stats) };
  };
}

/** `engine`'s time as a multiple of `than`'s (below 1: faster). */
function timeRatio(engine: string, than: string) {
  return (w: Lookup): Value => {
    const [a, b] = [w.ms(engine), w.ms(than)];
    return a && b ? { value: a / b } : undefined;
  };
}

/**
 * The least time any 128-bit SIMD code could take on this machine, as a multiple of `than`'s time:
 * the workload's FLOPs at `threads` cores' f32x4 peak (the machine probe's best rate: two multiply
 * and two add pipes, the rate of fused multiply-adds too), with nothing but arithmetic. A figure
 * that asks wasm for less than this cannot be met on this machine, however good the kernels.
 */
function simdFloorRatio(threads: number, than: string) {
  return (w: Lookup): Value => {
    const b = w.ms(than);
    if (!b || !w.probeBest) return undefined;
    const floorMs = w.flops / (threads * w.probeBest * 1e6);
    return { value: floorMs / b, detail: `floor ${floorMs.toFixed(1)} ms at ${threads} × ${w.probeBest.toFixed(1)} GFLOP/s` };
  };
}

/** How many times faster `engine` is on this workload than on `other` (the cache against the whole prefix). */
function gainOver(engine: string) {
  return (w: Lookup, other?: Lookup): Value => {
    const [a, b] = [w.ms(engine), other?.ms(engine)];
    return a && b ? { value: b / a } : undefined;
  };
}

/** The wasm peers at one thread, as smelt-wasm: ORT Web 1t, tfjs-wasm and jax-js wasm (both 1 thread in Node). */
const WASM_PEERS_1T = ['ort-web-1t', 'tfjs-wasm', 'jax-wasm'];

const TARGETS: readonly Target[] = [
  { issue: 3, figure: 'compiler pipeline (build, optimize, plan memory, lower), no backend', workload: 'w-base', engines: [], atMost: 1000, unit: 'ms', value: (w) => {
    const ms = w.pipelineMs();
    return ms === undefined ? undefined : { value: ms };
  } },
  { issue: 4, figure: 'smelt-js vs tfjs-cpu', workload: 'w-small', engines: ['smelt-js', 'tfjs-cpu'], want: 8, unit: '×', value: speedup('smelt-js', 'tfjs-cpu') },
  { issue: 4, figure: 'smelt-js GFLOP/s', workload: 'gemm-512', engines: ['smelt-js'], want: 2.5, unit: 'GFLOP/s', value: gflops('smelt-js') },
  ...['w-small', 'w-base'].flatMap((workload) => ['smelt-wasm', 'smelt-wasm-relaxed'].map((engine): Target => ({
    issue: 5, figure: `${engine} vs the fastest 1-thread wasm peer`, workload, engines: [engine, ...WASM_PEERS_1T], want: 1.5, unit: '×', value: speedupOverFastest(engine, WASM_PEERS_1T),
  }))),
  { issue: 5, figure: 'smelt-wasm-2t vs smelt-wasm (2 threads vs 1)', workload: 'w-base', engines: ['smelt-wasm-2t', 'smelt-wasm'], want: 1.6, unit: '×', value: speedup('smelt-wasm-2t', 'smelt-wasm') },
  { issue: 5, figure: 'smelt-wasm GFLOP/s', workload: 'gemm-1024', engines: ['smelt-wasm'], want: 25, unit: 'GFLOP/s', value: gflops('smelt-wasm') },
  { issue: 5, figure: 'smelt-wasm-relaxed GFLOP/s', workload: 'gemm-1024', engines: ['smelt-wasm-relaxed'], want: 35, unit: 'GFLOP/s', value: gflops('smelt-wasm-relaxed') },
  ...['smelt-wasm', 'smelt-wasm-relaxed'].map((engine): Target => ({
    issue: 5, figure: `${engine} GFLOP/s ÷ ort-node-1t's (native ORT)`, workload: 'gemm-1024', engines: [engine, 'ort-node-1t'], unit: '×', value: gflopsRatio(engine, 'ort-node-1t'),
  })),
  ...['w-small', 'w-base'].flatMap((workload): Target[] => [
    { issue: 6, figure: 'smelt-webgpu per forward', workload, engines: ['smelt-webgpu'], unit: 'ms', value: msWithStats('smelt-webgpu') },
    ...['tfjs-webgpu', 'jax-webgpu'].map((peer): Target => ({
      issue: 6, figure: `smelt-webgpu vs ${peer}`, workload, engines: ['smelt-webgpu', peer], want: 1.5, unit: '×', value: speedup('smelt-webgpu', peer),
    })),
  ]),
  ...([['w-small', 1.2], ['w-base', 1.3]] as const).map(([workload, atMost]): Target => ({
    issue: 17, figure: "smelt-wasm-relaxed's time ÷ ort-node-1t's (native ORT)", workload, engines: ['smelt-wasm-relaxed', 'ort-node-1t'], atMost, unit: '×', value: timeRatio('smelt-wasm-relaxed', 'ort-node-1t'),
  })),
  ...(['w-small', 'w-base'] as const).map((workload): Target => ({
    issue: 17, figure: "f32x4 peak's floor ÷ ort-node-1t's time (the least any wasm SIMD code could take)", workload, engines: ['ort-node-1t'], unit: '×', value: simdFloorRatio(1, 'ort-node-1t'),
  })),
  { issue: 17, figure: "f32x4 peak's floor on 2 cores ÷ ort-node-2t's time", workload: 'w-base', engines: ['ort-node-2t'], unit: '×', value: simdFloorRatio(2, 'ort-node-2t') },
  { issue: 17, figure: "smelt-wasm-relaxed-2t's time ÷ ort-node-2t's (native ORT)", workload: 'w-base', engines: ['smelt-wasm-relaxed-2t', 'ort-node-2t'], atMost: 1.4, unit: '×', value: timeRatio('smelt-wasm-relaxed-2t', 'ort-node-2t') },
  { issue: 17, figure: 'smelt-wasm-relaxed-2t vs smelt-wasm-relaxed (2 threads vs 1)', workload: 'w-base', engines: ['smelt-wasm-relaxed-2t', 'smelt-wasm-relaxed'], want: 1.85, unit: '×', value: speedup('smelt-wasm-relaxed-2t', 'smelt-wasm-relaxed') },
  { issue: 17, figure: 'smelt-wasm-relaxed-q8 vs smelt-wasm-relaxed (int8 weights vs f32)', workload: 'greedy-128-base-kv', engines: ['smelt-wasm-relaxed-q8', 'smelt-wasm-relaxed'], want: 1.5, unit: '×', value: speedup('smelt-wasm-relaxed-q8', 'smelt-wasm-relaxed') },
  { issue: 17, figure: 'smelt-wasm-relaxed-q8 vs ort-web-kv-q8-1t (both int8 weights)', workload: 'greedy-128-base-kv', engines: ['smelt-wasm-relaxed-q8', 'ort-web-kv-q8-1t'], want: 1, unit: '×', value: speedup('smelt-wasm-relaxed-q8', 'ort-web-kv-q8-1t') },
  { issue: 13, figure: 'smelt-wasm-relaxed with the cache vs full prefix', workload: 'greedy-128-base-kv', versus: 'greedy-128-base', engines: ['smelt-wasm-relaxed'], want: 5, unit: '×', value: gainOver('smelt-wasm-relaxed') },
  ...['greedy-32-kv', 'greedy-128-base-kv'].map((workload): Target => ({
    issue: 13, figure: 'smelt-wasm-relaxed vs ort-web-kv-1t', workload, engines: ['smelt-wasm-relaxed', 'ort-web-kv-1t'], want: 2, unit: '×', value: speedup('smelt-wasm-relaxed', 'ort-web-kv-1t'),
  })),
  { issue: 13, figure: 'smelt-wasm-relaxed vs ort-node-kv-1t (native ORT)', workload: 'greedy-32-kv', engines: ['smelt-wasm-relaxed', 'ort-node-kv-1t'], want: 1, unit: '×', value: speedup('smelt-wasm-relaxed', 'ort-node-kv-1t') },
  { issue: 13, figure: 'smelt-webgpu with the cache vs full prefix', workload: 'greedy-32-kv', versus: 'greedy-32', engines: ['smelt-webgpu'], want: 5, unit: '×', value: gainOver('smelt-webgpu') },
];

function lookup(w: WorkloadResult, stat: 'median' | 'min'): Lookup {
  const row = (engine: string) => w.rows.find((r) => r.engine === engine && r.status === 'ok');
  const time = (engine: string) => row(engine)?.summary?.[stat];
  return {
    ms: time,
    stats: (engine) => row(engine)?.stats,
    pipelineMs: () => w.pipeline?.summary[stat],
    flops: w.flops,
    probeBest: probeBest(w.rows),
    gflops(engine) {
      const ms = time(engine);
      return ms === undefined ? undefined : w.flops / (ms * 1e6);
    },
  };
}

function probeOf(w: WorkloadResult, engines: readonly string[]): string | undefined {
  const best = probeBest(w.rows);
  const parts = engines.flatMap((e) => {
    const row = w.rows.find((r) => r.engine === e && r.status === 'ok');
    const pct = row && probePct(row, best);
    return pct === undefined ? [] : [`${e} ${pct.toFixed(0)}%`];
  });
  return parts.length ? parts.join(', ') : undefined;
}

export function evaluateTargets(results: readonly WorkloadResult[]): TargetResult[] {
  const latest = (id: string | undefined) => [...results].reverse().find((r) => r.id === id); // the latest run of the workload
  return TARGETS.flatMap((t): TargetResult[] => {
    const w = latest(t.workload);
    const other = latest(t.versus);
    if (!w || (t.versus && !other)) return [];
    const { issue, figure, workload, want, atMost, unit } = t;
    const v = t.value(lookup(w, 'median'), other && lookup(other, 'median'));
    if (v) return [{ issue, figure, workload, want, atMost, unit, ...v, best: t.value(lookup(w, 'min'), other && lookup(other, 'min'))?.value, probe: probeOf(w, v.against ? [t.engines[0], v.against] : t.engines) }];
    const missing = t.engines.filter((e) => lookup(w, 'median').ms(e) === undefined).join(', ') || 'the measurement (older results file)';
    return [{ issue, figure, workload, want, atMost, unit, missing: `did not run: ${missing}` }];
  });
}

export function renderTargets(targets: readonly TargetResult[]): string {
  const unit = (t: TargetResult) => (t.unit === '×' ? '×' : ` ${t.unit}`);
  const lines = targets.map((t) => {
    const head = `  issue ${t.issue}  ${t.workload.padEnd(9)}  ${t.figure}`;
    if (t.value === undefined) return `${head}: — (${t.missing})`;
    const vs = `${t.against ? ` against ${t.against}` : ''}${t.detail ? `, ${t.detail}` : ''}`;
    const best = t.best === undefined ? '' : ` (best runs: ${t.best.toFixed(2)}${unit(t)})`;
    const probe = t.probe ? ` [probe: ${t.probe}]` : '';
    const want = t.want !== undefined ? `; want ≥ ${t.want}${unit(t)}: ${t.value >= t.want ? 'met' : 'NOT met'}`
      : t.atMost !== undefined ? `; want ≤ ${t.atMost}${unit(t)}: ${t.value <= t.atMost ? 'met' : 'NOT met'}` : '';
    return `${head}: ${t.value.toFixed(2)}${unit(t)}${vs}${best}${probe}${want}`;
  });
  const title = 'The issues\' figures, from the medians (speedup = the other engine\'s ms ÷ this one\'s; best runs: the same from the min ms;'
    + ' probe: how much of a core each engine had while timed, as in the tables):';
  return lines.length ? [title, ...lines].join('\n') : '';
}
