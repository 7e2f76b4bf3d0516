// `pnpm fuzz --graphs N --seed S [--from K] [--backends a,b] [--keep DIR | --no-keep]`: the differential fuzzer
// from the command line. Prints each mismatch and the regression case it kept, progress on stderr,
// and ends with exactly `fuzz: N graphs, M mismatches` (M: graphs with a mismatch); exit 1 when M > 0.

import { TARGET_NAMES, type Target, type TargetName, isTargetName, target, targetUnavailable } from './targets.ts';
import { describeMismatch } from './differential.ts';
import { keepMismatch } from './keep.ts';
import { fuzz } from './run.ts';

const HELP = `usage: pnpm fuzz --graphs N --seed S [--from K] [--backends ${TARGET_NAMES.join(',')}] [--keep DIR | --no-keep]

Generates N random graphs from seed S and runs each on the interpreter (raw and optimized) and on
every backend (as built and optimized), comparing against the interpreter. A mismatch is shrunk and
kept as a regression case in DIR (default tests/fuzz-cases). Without --backends every target that
can run here runs; a named target that cannot is an error. Ends with "fuzz: N graphs, M mismatches".
Graph i depends only on S and i: --from K runs graphs K to K + N - 1, so one long run can be split
into shards (processes) that together run exactly the graphs of one.`;

interface Args { graphs: number; seed: number; from: number; backends?: string[]; keep: string | undefined }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { graphs: 100, seed: 1, from: 0, keep: 'tests/fuzz-cases' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (name: string) => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
      return Number(v);
    };
    if (flag === '--graphs') args.graphs = int('--graphs');
    else if (flag === '--seed') args.seed = int('--seed');
    else if (flag === '--from') args.from = int('--from');
    else if (flag === '--backends') args.backends = value().split(',').filter(Boolean);
    else if (flag === '--keep') args.keep = value();
    else if (flag === '--no-keep') args.keep = undefined;
    else if (flag === '--help' || flag === '-h') throw Object.assign(new Error(HELP), { help: true });
    else throw new Error(`unknown flag ${JSON.stringify(flag)} (see --help)`);
  }
  return args;
}

async function chooseTargets(named: readonly string[] | undefined): Promise<Target[]> {
  for (const n of named ?? []) if (!isTargetName(n)) throw new Error(`--backends: unknown target ${JSON.stringify(n)} (targets: ${TARGET_NAMES.join(', ')})`);
  const chosen: Target[] = [];
  for (const t of (named as TargetName[] | undefined) ?? TARGET_NAMES) {
    const why = await targetUnavailable(t);
    if (why && named) throw new Error(`--backends: ${t} cannot run here: ${why}`);
    if (why) console.error(`fuzz: skipping ${t}: ${why}`);
    else chosen.push(target(t));
  }
  return chosen;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as { help?: boolean }).help ? (e as Error).message : `fuzz: ${(e as Error).message}`);
    return (e as { help?: boolean }).help ? 0 : 2;
  }
  const targets = await chooseTargets(args.backends).catch((e: Error) => { console.error(`fuzz: ${e.message}`); return undefined; });
  if (!targets) return 2;
  console.error(`fuzz: ${args.graphs} graphs from seed ${args.seed}${args.from ? ` (graphs ${args.from} to ${args.from + args.graphs - 1})` : ''} on ${targets.map((t) => t.name).join(', ')}`);
  let seen = 0;
  const report = await fuzz({
    graphs: args.graphs, seed: args.seed, from: args.from, targets,
    onMismatch: async (graph, caseSeed, found) => {
      seen++;
      console.log(`mismatch in graph ${graph} (case seed ${caseSeed}):`);
      for (const m of found) console.log(`  ${describeMismatch(m)}`);
      if (args.keep) console.log(`  kept as ${await keepMismatch(args.keep, targets, args.seed, graph, caseSeed, found)}`);
    },
    onProgress: (done) => { if (done % 50 === 0) console.error(`fuzz: ${done}/${args.graphs} graphs, ${seen} mismatches`); },
  });
  console.log(`fuzz: ${report.graphs} graphs, ${report.mismatches} mismatches`);
  return report.mismatches > 0 ? 1 : 0;
}

process.exitCode = await main();
// Thread pools and the GPU device keep the process alive; the answer is printed.
process.exit();
