// Command-line options of `pnpm bench`.

import { QUICK_WORKLOADS, WORKLOADS } from './workloads/defs.ts';

export interface Args {
  readonly quick: boolean;
  readonly runs: number;
  readonly warmup: number;
  readonly minRuns: number;
  readonly budgetS: number;
  readonly workloads: readonly string[];
  /** Engine names or name prefixes (`ort` matches ort-node-1t, ...); empty: all. */
  readonly engines: readonly string[];
  readonly out?: string;
  readonly everywhere: boolean;
  /** Engines whose "not available" row does not fail a --quick run (names or prefixes). */
  readonly allowUnavailable: readonly string[];
  /** Results files to print again (tables and the issues' figures over all of them); nothing is run. */
  readonly report: readonly string[];
  /** With --report: print the README's Markdown summary instead of the tables. */
  readonly markdown: boolean;
  /** Another smelt checkout whose smelt engines run too, as `<engine>@base`, side by side with this one's. */
  readonly baselineTree?: string;
}

export const USAGE = `pnpm bench [--quick] [--runs N] [--warmup N] [--budget SECONDS] [--workloads a,b] [--engines a,b] [--everywhere] [--allow-unavailable a,b] [--baseline-tree DIR] [--out FILE]
       pnpm bench --report a.json,b.json [--markdown]

  --quick       smoke run: every engine on ${QUICK_WORKLOADS.join(', ')}, 2 runs, 5 s budget (CI proves the suite runs; no timing gate);
                exits 1 when any engine is wrong, failed or not available (see --allow-unavailable)
  --runs N      timed runs per engine and workload (default 10; quick 2)
  --warmup N    untimed runs before timing (default 1)
  --budget S    seconds of timed runs per engine and workload before its run count is cut, never below 3 runs, quick 1 (default 30; quick 5);
                warm-up goes on while runs keep getting faster, up to 12 runs or half this budget
  --workloads   of ${WORKLOADS.map((w) => w.id).join(', ')}
  --engines     engine names or prefixes: smelt, ort, tfjs, jax, smelt-wasm, ...
  --everywhere  also run the engines limited by default to some workloads (tfjs-cpu, the WebGPU peers, smelt-reference); --quick implies it
  --allow-unavailable a,b  engines (names or prefixes) that --quick lets be "not available" (e.g. smelt-webgpu,tfjs-webgpu,jax-webgpu where there is no adapter)
  --baseline-tree DIR  also run each selected smelt engine from the smelt checkout in DIR (installed: pnpm install there), named <engine>@base,
                in the same rounds: a before/after comparison of two builds in one invocation (e.g. a git worktree of the commit before a change)
  --out FILE    the JSON results file (default bench/results/<date>.json)
  --report a.json,b.json  run nothing: print the tables of saved results files and the issues' figures over all of them
  --markdown    with --report: print each file as the README's Markdown summary (engines × workloads, median ms; the issues' figures)`;

function list(v: string | undefined, flag: string): string[] {
  if (!v) throw new Error(`${flag} needs a value`);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function required(v: string | undefined, flag: string): string {
  if (!v) throw new Error(`${flag} needs a value`);
  return v;
}

function count(v: string | undefined, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export function parseArgs(argv: readonly string[]): Args | 'help' {
  const a = argv.filter((x) => x !== '--');
  const quick = a.includes('--quick');
  let args: Args = { quick, runs: quick ? 2 : 10, warmup: 1, minRuns: quick ? 1 : 3, budgetS: quick ? 5 : 30, workloads: quick ? [...QUICK_WORKLOADS] : WORKLOADS.map((w) => w.id), engines: [], everywhere: quick, allowUnavailable: [], report: [], markdown: false };
  for (let i = 0; i < a.length; i++) {
    const flag = a[i];
    const next = () => a[++i];
    switch (flag) {
      case '--quick': break;
      case '--everywhere': args = { ...args, everywhere: true }; break;
      case '--markdown': args = { ...args, markdown: true }; break;
      case '-h': case '--help': return 'help';
      case '--runs': args = { ...args, runs: count(next(), flag, 1) }; break;
      case '--warmup': args = { ...args, warmup: count(next(), flag, 0) }; break;
      case '--budget': args = { ...args, budgetS: count(next(), flag, 1) }; break;
      case '--workloads': args = { ...args, workloads: list(next(), flag) }; break;
      case '--engines': args = { ...args, engines: list(next(), flag) }; break;
      case '--allow-unavailable': args = { ...args, allowUnavailable: list(next(), flag) }; break;
      case '--out': args = { ...args, out: next() }; break;
      case '--baseline-tree': args = { ...args, baselineTree: required(next(), flag) }; break;
      case '--report': args = { ...args, report: list(next(), flag) }; break;
      default: throw new Error(`unknown option ${JSON.stringify(flag)}\n${USAGE}`);
    }
  }
  if (args.markdown && !args.report.length) throw new Error('--markdown needs --report FILE');
  return { ...args, minRuns: Math.min(args.minRuns, args.runs) };
}

export function engineSelected(name: string, wanted: readonly string[]): boolean {
  return wanted.length === 0 || wanted.some((w) => name === w || name.startsWith(`${w}-`));
}
