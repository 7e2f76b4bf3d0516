// The bench's own arithmetic and reporting, without running an engine: option parsing, run
// summaries, the issues' figures (speedups against the fastest peer, GFLOP/s, the compiler's time
// as an upper bound, engines that did not run), the machine probe's column and figures, the README's
// Markdown table, and the pipeline timer.

import { describe, expect, it } from 'vitest';
import { parseArgs } from '../args.ts';
import { timePipeline } from '../run/pipeline-time.ts';
import type { Row } from '../run/workload-bench.ts';
import { findWorkload } from '../workloads/defs.ts';
import { renderMarkdown } from './markdown.ts';
import type { ResultsDoc, WorkloadResult } from './results.ts';
import { median, summarize } from './stats.ts';
import { renderWorkload } from './table.ts';
import { evaluateTargets, renderTargets } from './targets.ts';

function row(engine: string, times: number[], extra: Partial<Row> = {}): Row {
  return { engine, group: engine.startsWith('smelt') ? 'smelt' : 'peer', status: 'ok', times, summary: summarize(times), ...extra };
}

function workload(id: string, rows: Row[], extra: Partial<WorkloadResult> = {}): WorkloadResult {
  return { id, title: id, flops: 2e9, loadAverage: [1, 1], rows, ...extra };
}

describe('options', () => {
  it('defaults, --quick, lists and counts', () => {
    const full = parseArgs([]);
    expect(full).toMatchObject({ quick: false, runs: 10, budgetS: 30, everywhere: false, markdown: false });
    expect(parseArgs(['--', '--quick'])).toMatchObject({ quick: true, runs: 2, minRuns: 1, workloads: ['w-small'], everywhere: true });
    expect(parseArgs(['--engines', 'smelt, ort-node', '--runs', '3'])).toMatchObject({ engines: ['smelt', 'ort-node'], runs: 3, minRuns: 3 });
    expect(parseArgs(['--help'])).toBe('help');
  });

  it.each([
    [['--runs', '0'], /--runs needs an integer ≥ 1, got "0"/],
    [['--budget', 'x'], /--budget needs an integer ≥ 1/],
    [['--engines'], /--engines needs a value/],
    [['--fast'], /unknown option "--fast"/],
    [['--markdown'], /--markdown needs --report FILE/],
  ])('%j is an error naming the option', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('summaries', () => {
  it('median of odd and even counts; spread is (max − min) / median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([10, 20, 30])).toEqual({ runs: 3, min: 10, median: 20, max: 30, spreadPct: 100 });
  });
});

describe("the issues' figures", () => {
  const small = workload('w-small', [
    row('smelt-js', [100, 110, 120]), row('tfjs-cpu', [900, 1000, 1100]),
    row('smelt-wasm', [10, 10, 10]), row('ort-web-1t', [30, 40, 50]), row('jax-wasm', [20, 25, 30]),
    { ...row('tfjs-wasm', []), status: 'failed', summary: undefined },
  ]);

  it('speedup from the medians and from the best runs; against the fastest peer that ran', () => {
    const t = evaluateTargets([small]);
    const js = t.find((x) => x.figure === 'smelt-js vs tfjs-cpu')!;
    expect(js.value).toBeCloseTo(1000 / 110);
    expect(js.best).toBeCloseTo(900 / 100);
    const wasm = t.find((x) => x.figure === 'smelt-wasm vs the fastest 1-thread wasm peer')!;
    expect(wasm).toMatchObject({ against: 'jax-wasm', value: 2.5 });
    expect(t.find((x) => x.figure === 'smelt-wasm-relaxed vs the fastest 1-thread wasm peer')!.missing).toBe('did not run: smelt-wasm-relaxed, tfjs-wasm');
    const text = renderTargets(t);
    expect(text).toContain('smelt-js vs tfjs-cpu: 9.09× (best runs: 9.00×); want ≥ 8×: met');
    expect(text).toContain('smelt-wasm vs the fastest 1-thread wasm peer: 2.50× against jax-wasm');
  });

  it('the latest run of a workload counts; GFLOP/s from the analytic FLOP count', () => {
    const old = workload('gemm-512', [row('smelt-js', [2000])]);
    const now = workload('gemm-512', [row('smelt-js', [500])]);
    const g = evaluateTargets([old, now]).find((x) => x.figure === 'smelt-js GFLOP/s')!;
    expect(g.value).toBeCloseTo(4);
    expect(renderTargets([g])).toContain('4.00 GFLOP/s (best runs: 4.00 GFLOP/s); want ≥ 2.5 GFLOP/s: met');
  });

  it('the compiler pipeline is a time with an upper bound', () => {
    const base = (ms: number) => workload('w-base', [], { pipeline: { kernels: 236, summary: summarize([ms, ms]) } });
    const [fast] = evaluateTargets([base(180)]).filter((x) => x.issue === 3);
    expect(renderTargets([fast])).toContain('180.00 ms (best runs: 180.00 ms); want ≤ 1000 ms: met');
    const [slow] = evaluateTargets([base(1500)]).filter((x) => x.issue === 3);
    expect(renderTargets([slow])).toContain('want ≤ 1000 ms: NOT met');
    const [none] = evaluateTargets([workload('w-base', [])]).filter((x) => x.issue === 3);
    expect(none.missing).toMatch(/did not run/);
  });
});

describe("issue 13's decoding figures", () => {
  it('the cache against the whole prefix reads two workloads; the ORT key/value peers are compared on one', () => {
    const full = workload('greedy-128-base', [row('smelt-wasm-relaxed', [12000, 13000, 14000])]);
    const kv = workload('greedy-128-base-kv', [row('smelt-wasm-relaxed', [1800, 2000, 2200]), row('ort-web-kv-1t', [3000, 3200, 3400])]);
    const t = evaluateTargets([full, kv]).filter((x) => x.issue === 13);
    const gain = t.find((x) => x.figure === 'smelt-wasm-relaxed with the cache vs full prefix')!;
    expect(gain.value).toBeCloseTo(6.5);
    expect(gain.best).toBeCloseTo(12000 / 1800);
    expect(t.find((x) => x.figure === 'smelt-wasm-relaxed vs ort-web-kv-1t')!.value).toBeCloseTo(1.6);
    expect(renderTargets(t)).toContain('smelt-wasm-relaxed vs ort-web-kv-1t: 1.60× (best runs: 1.67×); want ≥ 2×: NOT met');
    expect(evaluateTargets([kv]).some((x) => x.figure.includes('vs full prefix')), 'no full-prefix run: no gain figure').toBe(false);
  });
});

describe("issue 17's figures", () => {
  it('relaxed SIMD against native ORT as a time ratio (at most), and 2 threads vs 1 on the relaxed build', () => {
    const base = workload('w-base', [
      row('smelt-wasm-relaxed', [390, 400, 410]), row('smelt-wasm-relaxed-2t', [200, 210, 220]),
      row('ort-node-1t', [200, 200, 200]), row('ort-node-2t', [140, 140, 140]),
    ]);
    const t = evaluateTargets([base]).filter((x) => x.issue === 17 && !x.figure.includes('floor'));
    expect(t.map((x) => x.figure)).toEqual([
      "smelt-wasm-relaxed's time ÷ ort-node-1t's (native ORT)",
      "smelt-wasm-relaxed-2t's time ÷ ort-node-2t's (native ORT)",
      'smelt-wasm-relaxed-2t vs smelt-wasm-relaxed (2 threads vs 1)',
    ]);
    expect(t[0]).toMatchObject({ workload: 'w-base', atMost: 1.3, value: 2 });
    expect(t[1]).toMatchObject({ atMost: 1.4, value: 1.5 });
    expect(t[2].value).toBeCloseTo(400 / 210);
    const text = renderTargets(t);
    expect(text).toContain("smelt-wasm-relaxed's time ÷ ort-node-1t's (native ORT): 2.00× (best runs: 1.95×); want ≤ 1.3×: NOT met");
    expect(text).toContain('want ≥ 1.85×: met');
  });
});

describe("issue 17's f32x4 floor", () => {
  it("the workload's FLOPs at the best probe's rate (per core), as a multiple of native ORT's time; absent without probes", () => {
    // 2 GFLOP at 50 GFLOP/s: 40 ms on one core, 20 on two.
    const base = workload('w-base', [
      row('smelt-wasm-relaxed', [390, 400, 410], { probe: [40, 50, 45] }),
      row('ort-node-1t', [30, 32, 34], { probe: [44, 46, 48] }), row('ort-node-2t', [20, 25, 30], { probe: [40, 40, 40] }),
    ]);
    const floors = evaluateTargets([base]).filter((x) => x.figure.includes('floor'));
    expect(floors.map((x) => [x.figure, x.value])).toEqual([
      ["f32x4 peak's floor ÷ ort-node-1t's time (the least any wasm SIMD code could take)", 40 / 32],
      ["f32x4 peak's floor on 2 cores ÷ ort-node-2t's time", 20 / 25],
    ]);
    expect(floors[0]).toMatchObject({ best: 40 / 30, want: undefined, atMost: undefined });
    const text = renderTargets(floors);
    expect(text).toContain("(the least any wasm SIMD code could take): 1.25×, floor 40.0 ms at 1 × 50.0 GFLOP/s (best runs: 1.33×) [probe: ort-node-1t 92%]");
    expect(text).not.toMatch(/met/);
    const unprobed = workload('w-base', [row('ort-node-1t', [30, 32, 34])]);
    const none = evaluateTargets([unprobed]).find((x) => x.figure.includes('floor ÷ ort-node-1t'))!;
    expect(none.value).toBeUndefined();
    expect(none.missing).toBe('did not run: the measurement (older results file)');
  });
});

describe("issue 17's int8 figures", () => {
  it('int8 weights vs f32 and vs ONNX Runtime web on int8, decoding with the cache', () => {
    const kv = workload('greedy-128-base-kv', [
      row('smelt-wasm-relaxed', [1800, 2000, 2200]), row('smelt-wasm-relaxed-q8', [1000, 1100, 1200]), row('ort-web-kv-q8-1t', [2000, 2200, 2400]),
    ]);
    const t = evaluateTargets([kv]).filter((x) => x.issue === 17);
    expect(t.map((x) => x.figure)).toEqual(['smelt-wasm-relaxed-q8 vs smelt-wasm-relaxed (int8 weights vs f32)', 'smelt-wasm-relaxed-q8 vs ort-web-kv-q8-1t (both int8 weights)']);
    expect(t[0].value).toBeCloseTo(2000 / 1100);
    expect(t[1].value).toBeCloseTo(2);
    expect(renderTargets(t)).toContain('want ≥ 1.5×: met');
  });
});

describe('the machine probe in the report', () => {
  const gemm = workload('gemm-1024', [
    row('smelt-wasm', [80, 80, 80], { probe: [50, 50, 50] }),
    row('smelt-wasm-relaxed', [60, 60, 60], { probe: [30, 32, 34] }),
    row('ort-node-1t', [30, 30, 30], { probe: [48, 49, 50] }),
  ]);

  it('a column per row: median probe in % of the fastest probe in the workload', () => {
    const table = renderWorkload(gemm, 2);
    expect(table).toMatch(/\bprobe\b/);
    const line = (engine: string) => table.split('\n').find((l) => l.startsWith(`${engine} `))!;
    expect(line('smelt-wasm')).toMatch(/ 100%(\s|$)/);
    expect(line('smelt-wasm-relaxed')).toMatch(/ 64%(\s|$)/);
    expect(line('ort-node-1t')).toMatch(/ 98%(\s|$)/);
    expect(table).toContain('fastest machine probe 50.0 GFLOP/s');
  });

  it("the figures name the probe of the engines they compare; files from before the probe show none", () => {
    const t = evaluateTargets([gemm]);
    const relaxed = t.find((x) => x.figure === 'smelt-wasm-relaxed GFLOP/s')!;
    expect(relaxed.probe).toBe('smelt-wasm-relaxed 64%');
    expect(t.find((x) => x.figure === "smelt-wasm GFLOP/s ÷ ort-node-1t's (native ORT)")!.probe).toBe('smelt-wasm 100%, ort-node-1t 98%');
    expect(renderTargets([relaxed])).toContain('[probe: smelt-wasm-relaxed 64%]; want ≥ 35 GFLOP/s: NOT met');
    const doc: ResultsDoc = { date: '2026-11-29T00:00:00Z', command: 'pnpm bench', smelt: 'abc1234', machine: { cpuCount: 2 }, workloads: [gemm] };
    expect(renderMarkdown(doc, t)).toContain('| 5 | gemm-1024 | smelt-wasm-relaxed GFLOP/s | 33.33 GFLOP/s; probe smelt-wasm-relaxed 64% | want ≥ 35 GFLOP/s: **not met** |');
    const old = workload('gemm-1024', [row('smelt-wasm-relaxed', [60])]);
    expect(evaluateTargets([old]).find((x) => x.figure === 'smelt-wasm-relaxed GFLOP/s')!.probe).toBeUndefined();
  });
});

describe('decoding workloads in the report', () => {
  it('ms per token and tokens/s of the median run, and the median first-token latency, only where the workload decodes', () => {
    const rows = [
      row('smelt-wasm', [30, 32, 34], { firstToken: [4, 5, 9], firstTokenSummary: summarize([4, 5, 9]) }),
      row('ort-node-kv-1t', [64, 64, 64], { firstToken: [8, 8, 8], firstTokenSummary: summarize([8, 8, 8]) }),
    ];
    const table = renderWorkload(workload('greedy-32-kv', rows, { tokens: 32, baseline: { engine: 'smelt-wasm', medianMs: 32, why: 'smelt-wasm' } }), 2).split('\n');
    const head = table[1].split(/\s{2,}/);
    const cell = (engine: string, column: string) => table.find((l) => l.startsWith(engine))!.split(/\s{2,}/)[head.indexOf(column)];
    expect(head.slice(4, 7)).toEqual(['ms/token', 'tok/s', '1st token']);
    expect([cell('smelt-wasm', 'ms/token'), cell('smelt-wasm', 'tok/s'), cell('smelt-wasm', '1st token')]).toEqual(['1.00', '1000.0', '5.00']);
    expect([cell('ort-node-kv-1t', 'ms/token'), cell('ort-node-kv-1t', 'tok/s'), cell('ort-node-kv-1t', '1st token')]).toEqual(['2.00', '500.0', '8.00']);
    expect(renderWorkload(workload('w-small', [row('smelt-wasm', [10])]), 2)).not.toContain('ms/token');
  });
});

describe('the README table', () => {
  it('an engine per row, a workload per column, "—" where it did not run, GFLOP/s on GEMMs', () => {
    const doc: ResultsDoc = {
      date: '2026-11-29T00:00:00Z', command: 'pnpm bench', smelt: 'abc1234', machine: { cpuCount: 2, cpuModel: 'Test CPU' },
      workloads: [workload('w-small', [row('smelt-js', [150]), row('tfjs-cpu', [1500])]), workload('gemm-512', [row('smelt-js', [800])])],
    };
    const md = renderMarkdown(doc, evaluateTargets(doc.workloads));
    expect(md).toContain('| engine | w-small | gemm-512 |');
    expect(md).toContain('| **smelt-js** | 150 | 800 (2.5 GFLOP/s) |');
    expect(md).toContain('| tfjs-cpu | 1500 | — |');
    expect(md).toContain('| 4 | w-small | smelt-js vs tfjs-cpu | 10.00× | want ≥ 8×: met |');
    expect(md).toContain('smelt abc1234, 2 × Test CPU');
  });
});

describe('the compiler pipeline timer', () => {
  it('times build + optimize + lower of every part and counts their kernels', () => {
    const p = timePipeline(findWorkload('greedy-32'), 1);
    expect(p.summary.runs).toBe(1);
    expect(p.summary.median).toBeGreaterThan(0);
    expect(p.kernels).toBeGreaterThan(10);
  });
});
