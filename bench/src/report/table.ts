// The printed table of one workload: median ms, the ratio to the baseline (smelt-wasm, or the
// fastest smelt backend present when smelt-wasm is absent, and the header says which), GFLOP/s
// from the workload's analytic FLOP count, min/max/spread, runs, error, compile (smelt) or load
// time (peers), first run, peak RSS and what the engine added to it, how much of a core the engine
// had while timed (the machine probe, report/probe.ts), and per-run counters. Decoding workloads add
// ms per generated token and tokens/s (of the median run, encode included) and the first token's
// latency (median over the timed runs of the time to the first generated token, encode included).
// Under the table: each smelt row's time by kernel kind (report/kernel-profile.ts).

import type { Row } from '../run/workload-bench.ts';
import { renderProfile } from './kernel-profile.ts';
import { probeBest, probePct } from './probe.ts';
import type { WorkloadResult } from './results.ts';

export interface Baseline {
  readonly engine: string;
  readonly medianMs: number;
  readonly why: string;
}

/** smelt-wasm when it ran; else the fastest smelt backend that ran; else none. */
export function pickBaseline(rows: readonly Row[]): Baseline | undefined {
  const ok = rows.filter((r) => r.group === 'smelt' && r.status === 'ok' && r.summary);
  const wasm = ok.find((r) => r.engine === 'smelt-wasm');
  if (wasm) return { engine: wasm.engine, medianMs: wasm.summary!.median, why: 'smelt-wasm' };
  const fastest = [...ok].sort((a, b) => a.summary!.median - b.summary!.median)[0];
  return fastest && { engine: fastest.engine, medianMs: fastest.summary!.median, why: `${fastest.engine} (the fastest smelt backend present; smelt-wasm did not run)` };
}

const f = (x: number | undefined, digits = 1) => (x === undefined ? '' : x.toFixed(digits));
const ms = (x: number | undefined) => (x === undefined ? '' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

const COLUMNS = ['engine', 'median ms', '× base', 'GFLOP/s', 'min', 'max', 'spread', 'runs', 'max err', 'compile/load', '1st run', 'RSS MB', '+RSS', 'probe', 'notes'];
/** Decoding workloads: these follow GFLOP/s. */
const TOKEN_COLUMNS = ['ms/token', 'tok/s', '1st token'];
const TOKENS_AT = COLUMNS.indexOf('GFLOP/s') + 1;

function columns(tokens: number | undefined): string[] {
  return tokens === undefined ? COLUMNS : [...COLUMNS.slice(0, TOKENS_AT), ...TOKEN_COLUMNS, ...COLUMNS.slice(TOKENS_AT)];
}

/** ms per generated token and tokens/s of the median run, and the median first-token latency. */
function tokenCells(row: Row, tokens: number): string[] {
  const median = row.summary!.median;
  return [ms(median / tokens), f((tokens * 1000) / median, 1), ms(row.firstTokenSummary?.median)];
}

const SINGULAR: Readonly<Record<string, string>> = { dispatches: 'dispatch', passes: 'pass', submits: 'submit' };

/** smelt-webgpu's RunStats per workload run: "119 dispatches, 1 pass, 1 submit, 128 KiB uploaded". */
export function formatStats(stats: Readonly<Record<string, number>>): string {
  return Object.entries(stats).map(([k, v]) => {
    if (k === 'bytesUploaded') return `${+(v / 1024).toFixed(1)} KiB uploaded`;
    if (k === 'bytesReadBack') return `${+(v / 1024).toFixed(1)} KiB read back`;
    const one = SINGULAR[k];
    return one ? `${v} ${v === 1 ? one : k}` : `${k} ${v}`;
  }).join(', ');
}

function statsNote(row: Row): string {
  const parts = [];
  if (row.stats) parts.push(`per run: ${formatStats(row.stats)}`);
  if (row.about?.pipelines) parts.push(`${row.about.pipelines} pipeline${row.about.pipelines === '1' ? '' : 's'}`);
  if (row.osThreads !== undefined) parts.push(`${row.osThreads} os threads`);
  if (row.idleCpuPct !== undefined && row.idleCpuPct >= 5) parts.push(`busy ${row.idleCpuPct.toFixed(0)}% of a core between runs`);
  return parts.join('; ');
}

/** The columns of a row that ran, or undefined for a row that did not. */
function cells(row: Row, flops: number, base: Baseline | undefined, best: number | undefined, tokens: number | undefined): string[] | undefined {
  const s = row.summary;
  if (row.status !== 'ok' || !s) return undefined;
  const probe = probePct(row, best);
  const all = [
    row.engine, ms(s.median), base ? f(s.median / base.medianMs, 2) : '', f(flops / (s.median * 1e6), 2), ms(s.min), ms(s.max),
    `${f(s.spreadPct, 0)}%`, String(s.runs), row.check ? row.check.maxAbsErr.toExponential(1) : '', ms(row.compileMs ?? row.loadMs), ms(row.firstRunMs),
    f(row.maxRssMB, 0), row.maxRssMB === undefined || row.baseRssMB === undefined ? '' : f(row.maxRssMB - row.baseRssMB, 0),
    probe === undefined ? '' : `${f(probe, 0)}%`, statsNote(row),
  ];
  if (tokens !== undefined) all.splice(TOKENS_AT, 0, ...tokenCells(row, tokens));
  return all;
}

const LEGEND_HEAD = 'compile/load: ms of backend.compile for smelt rows (graph and weights to executable), of loading the model for the peers;'
  + ' +RSS: peak RSS over the process\'s RSS before the engine loaded (the data, Node and tsx)';

/** The legend, with the probe's reference when the rows kept probes. */
function legend(best: number | undefined): string {
  if (best === undefined) return LEGEND_HEAD;
  return `${LEGEND_HEAD}; probe: a fixed SIMD loop timed in the engine's process before each timed run, median as % of the fastest probe in this workload`
    + ` (fastest machine probe ${best.toFixed(1)} GFLOP/s; well under 100%: the core was shared with other work during those runs)`;
}

function whyNot(row: Row): string {
  const label = { ok: 'no runs', skipped: 'skipped', unavailable: 'not available', wrong: 'WRONG OUTPUT, not timed', failed: 'FAILED' }[row.status];
  return `${label}: ${(row.reason ?? '').split('\n')[0]}`;
}

/** `tokens`: tokens one run generates (decoding workloads), which adds the per-token columns. */
export function renderTable(title: string, flops: number, rows: readonly Row[], base: Baseline | undefined, tokens?: number): string {
  const best = probeBest(rows);
  const lines = rows.map((r) => cells(r, flops, base, best, tokens));
  const cols = columns(tokens);
  const widths = cols.map((c, i) => Math.max(c.length, ...lines.map((l) => (l?.[i] ?? '').length), ...(i === 0 ? rows.map((r) => r.engine.length) : [])));
  const align = (cols: readonly string[]) => cols.map((c, i) => (i === 0 || i === cols.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const body = rows.map((r, i) => (lines[i] ? align(lines[i]!) : `${r.engine.padEnd(widths[0])}  ${whyNot(r)}`));
  const ratio = base ? `× base = median ÷ median of ${base.why}` : 'no smelt backend ran, so no × base';
  const head = `${title} — ${(flops / 1e9).toFixed(3)} GFLOP per run; ${ratio}`;
  const perToken = tokens === undefined ? '' : `\nms/token, tok/s: the median run (encode included) per generated token (${tokens} per run); 1st token: median ms from the start of a run to the first generated token on the host (encode included)`;
  return [head, align(cols), ...body, legend(best) + perToken].join('\n');
}

/** The table of one workload and the load on the machine while it ran. */
export function renderWorkload(w: WorkloadResult, cores: number): string {
  const [before, after] = w.loadAverage;
  const took = w.elapsedS === undefined ? '' : `; the workload took ${w.elapsedS} s`;
  const load = `(1-minute load average on this machine: ${before.toFixed(1)} before, ${after.toFixed(1)} after, on ${cores} cores; the bench itself adds about 1${took})`;
  const p = w.pipeline;
  const pipeline = p ? `\nsmelt's compiler, model source → kernel plan (${p.kernels} kernels), no backend: median ${ms(p.summary.median)} ms (min ${ms(p.summary.min)}, max ${ms(p.summary.max)}, ${p.summary.runs} runs)` : '';
  const profiles = w.rows.flatMap((r) => (r.profile ? [`\n${renderProfile(r.engine, r.profile)}`] : [])).join('');
  return `${renderTable(w.title, w.flops, w.rows, w.baseline, w.tokens)}\n${load}${pipeline}${profiles}`;
}
