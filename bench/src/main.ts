// `pnpm bench`: smelt's backends against ONNX Runtime, TensorFlow.js and jax-js on the same
// workloads and weights (issue 7). For each workload: make its data (once), export its ONNX files
// (once), run every engine in its own process (check, warm up, time in interleaved rounds), print
// the table; at the end print the figures the backend issues ask for (report/targets.ts) and write
// bench/results/<date>.json. `--quick` is the CI smoke run: every engine on the smallest workload,
// and any row that is not ok (wrong, failed, or not available unless allowed) fails it.

import os from 'node:os';
import path from 'node:path';
import { type Args, USAGE, engineSelected, parseArgs } from './args.ts';
import { allEngines, withBaselineTwins } from './engines/catalog.ts';
import { renderMarkdown } from './report/markdown.ts';
import { type WorkloadResult, machine, readResults, writeResults } from './report/results.ts';
import { pickBaseline, renderWorkload } from './report/table.ts';
import { evaluateTargets, renderTargets } from './report/targets.ts';
import { baselineBench } from './run/engine-process.ts';
import { timePipeline } from './run/pipeline-time.ts';
import { type Row, benchWorkload, workloadRuns } from './run/workload-bench.ts';
import { BENCH_ROOT, ensureData } from './workloads/data.ts';
import { findWorkload, tokensPerRun } from './workloads/defs.ts';
import { workloadFlops } from './workloads/flops.ts';
import { ensureOnnx } from './workloads/onnx.ts';

const log = (line: string) => console.log(line);

async function benchOne(id: string, args: Args): Promise<WorkloadResult> {
  const def = findWorkload(id);
  const t0 = performance.now();
  log(`\n== ${def.title}`);
  await ensureData(def, log);
  const selected = allEngines().filter((e) => engineSelected(e.name, args.engines) && (!e.only?.always || e.only.workloads.includes(id)));
  const specs = args.baselineTree ? withBaselineTwins(selected, args.baselineTree) : selected;
  const onnx = specs.some((s) => s.needsOnnx && workloadRuns(def, s.name, args.everywhere)) ? ensureOnnx(def, log) : undefined;
  const loadBefore = os.loadavg()[0];
  const flops = workloadFlops(def.shape);
  const rows = await benchWorkload(def, specs, args, onnx, log);
  const pipeline = timePipeline(def, args.quick ? 1 : 7);
  const baseline = pickBaseline(rows);
  const loadAverage = [loadBefore, os.loadavg()[0]] as const;
  const elapsedS = Math.round((performance.now() - t0) / 1000);
  const result = { id, title: def.title, flops, tokens: tokensPerRun(def.shape), baseline, loadAverage, elapsedS, onnx: onnx && (onnx.ok ? onnx.log : onnx.reason), pipeline, rows };
  log(`\n${renderWorkload(result, os.cpus().length)}`);
  return result;
}

/** `--report`: the tables of saved results files, and the issues' figures over all of them; `--markdown`: the README's summary of each. */
function report(files: readonly string[], markdown: boolean): void {
  const all = files.map((f) => readResults(path.resolve(userDir(), f)));
  if (markdown) {
    for (const { doc } of all) log(`\n${renderMarkdown(doc, evaluateTargets(doc.workloads))}`);
    return;
  }
  for (const { file, doc } of all) {
    log(`\n${path.relative(userDir(), file)}: ${doc.command}, ${doc.date}, smelt ${doc.smelt}`);
    for (const w of doc.workloads) log(`\n${renderWorkload(w, doc.machine.cpuCount)}`);
  }
  const targets = evaluateTargets(all.flatMap(({ doc }) => doc.workloads));
  if (targets.length) log(`\n${renderTargets(targets)}`);
}

/** Where `pnpm bench` was typed (pnpm runs the script in bench/): the base of --out and --report paths. */
const userDir = () => process.env.INIT_CWD ?? process.cwd();

function resultsFile(args: Args): string {
  if (args.out) return path.resolve(userDir(), args.out);
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  return path.join(BENCH_ROOT, 'results', `${args.quick ? 'quick-' : ''}${stamp}.json`);
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') return void console.log(USAGE);
  if (parsed.report.length) return report(parsed.report, parsed.markdown);
  parsed.workloads.forEach(findWorkload);
  const tree = parsed.baselineTree === undefined ? undefined : path.resolve(userDir(), parsed.baselineTree);
  if (tree) baselineBench(tree);
  const args = { ...parsed, baselineTree: tree };
  const m = machine();
  log(`smelt bench${args.quick ? ' --quick' : ''}: ${m.cpuCount} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`);
  log(`${args.runs} timed runs (fewer past ${args.budgetS} s per engine and workload, at least ${args.minRuns}), ${args.warmup} warm-up`);
  if (args.baselineTree) log(`baseline: the smelt engines of ${args.baselineTree} run too, as <engine>@base`);
  const t0 = performance.now();
  const results: WorkloadResult[] = [];
  for (const id of args.workloads) results.push(await benchOne(id, args));
  const targets = args.quick ? [] : evaluateTargets(results); // two runs on a smoke test are no figures to quote
  if (targets.length) log(`\n${renderTargets(targets)}`);
  const file = resultsFile(args);
  writeResults(file, `pnpm bench ${process.argv.slice(2).filter((x) => x !== '--').join(' ')}`.trim(), args, results, targets);
  log(`\nwrote ${path.relative(userDir(), file)} (${((performance.now() - t0) / 1000).toFixed(0)} s in all)`);
  const bad = results.flatMap((w) => w.rows.filter((r) => rowFails(r, args)).map((r) => `${w.id}/${r.engine} (${r.status})`));
  if (bad.length) {
    log(`rows that fail the run: ${bad.join(', ')}`);
    process.exitCode = 1;
  }
}

/** Wrong or failed rows always fail the run; under --quick, so does any other row that did not run, unless allowed. */
function rowFails(r: Row, args: Args): boolean {
  if (r.status === 'wrong' || r.status === 'failed') return true;
  if (!args.quick || r.status === 'ok') return false;
  return !(r.status === 'unavailable' && args.allowUnavailable.length > 0 && engineSelected(r.engine, args.allowUnavailable));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});
