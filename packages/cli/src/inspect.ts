// `smelt inspect`: compile a model config and show what the compiler made: the optimized IR (with
// a stats table), a Graphviz DOT graph, JSON stats, or the graph viewer as one standalone HTML page
// (every pass's graph, the kernels, the memory plan). Also writes per-pass dumps.

import fs from 'node:fs';
import path from 'node:path';
import { type Graph, evalDim, isSymbolName, opCounts } from '@smelt/ir';
import { checkArena, compileWithTrace, graphToDot, planStats, printGraphWithStats } from '@smelt/compiler';
import { viewerHtml } from '@smelt/viewer';
import { SEQ2SEQ_GRAPHS, type Seq2SeqGraphName, buildCausalLM, buildModel, buildSeq2SeqGraph, isCausalLMConfig, readConfig } from '@smelt/models';
import { UsageError, type FlagSpecs, type ParsedFlags } from './args.ts';
import { MODEL_HELP, loadModel, modelFlag } from './model-file.ts';

export const INSPECT_FLAGS: FlagSpecs = {
  config: { kind: 'string', metavar: 'C.json', help: 'model config; or --model' },
  model: { kind: 'string', metavar: 'PATH', help: MODEL_HELP },
  format: { kind: 'string', metavar: 'text|dot|json|html', help: 'output: optimized IR + stats (default), Graphviz DOT, JSON stats, or html: the graph viewer as one standalone page (every pass, kernels, memory plan)' },
  after: { kind: 'string', metavar: 'PASS', help: 'stop after this pass (default: the whole pipeline)' },
  disable: { kind: 'list', metavar: 'PASS', help: 'skip a pass by name (repeatable)' },
  'dump-after': { kind: 'list', metavar: 'PASS|all', help: 'write the IR after this pass (repeatable, or all) into --dump-dir' },
  'dump-dir': { kind: 'string', metavar: 'DIR', help: 'folder for dumps (default: smelt-dumps)' },
  'verify-each': { kind: 'boolean', help: 'run the verifier after every pass' },
  graph: { kind: 'string', metavar: 'G', help: 'seq2seq: full (default), encoder, decoder (full-prefix decoding), encode or step (cached decoding); gpt2, llama: full, prefill or step (cached generation)' },
  'src-padding': { kind: 'boolean', help: 'build with a src_key_padding_mask input' },
  'tgt-padding': { kind: 'boolean', help: 'build with a tgt_key_padding_mask input (torch-transformer)' },
  batch: { kind: 'string', metavar: 'N', help: 'batch for the stats (default 1)' },
  'seq-len': { kind: 'string', metavar: 'N', help: 'srcLen and tgtLen for the stats (default 64)' },
};

function positive(flags: ParsedFlags, name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

async function buildFor(flags: ParsedFlags): Promise<Graph> {
  const model = modelFlag(flags);
  if (model !== undefined) {
    for (const f of ['graph', 'src-padding', 'tgt-padding']) if (flags[f] !== undefined) throw new UsageError(`--${f} applies to --config models, not --model`);
    return (await loadModel(model, undefined, { weights: false })).graph;
  }
  const cfg = readConfig(flags.config as string);
  const masks = { srcPadding: Boolean(flags['src-padding']), tgtPadding: Boolean(flags['tgt-padding']) };
  const which = (flags.graph as string | undefined) ?? 'full';
  if (isCausalLMConfig(cfg)) {
    if (which !== 'full' && which !== 'prefill' && which !== 'step') throw new UsageError(`--graph for ${cfg.model} must be one of full, prefill, step, got "${which}"`);
    return buildCausalLM(cfg, which === 'full' ? 'model' : which);
  }
  const names = ['full', ...SEQ2SEQ_GRAPHS.filter((g) => g !== 'model')];
  if (!names.includes(which)) throw new UsageError(`--graph must be one of ${names.join(', ')}, got "${which}"`);
  if (which === 'full') return buildModel(cfg, masks);
  if (cfg.model !== 'seq2seq') throw new UsageError(`--graph ${which} needs a seq2seq config`);
  return buildSeq2SeqGraph(cfg, which as Seq2SeqGraphName, masks);
}

export async function inspectCommand(flags: ParsedFlags): Promise<void> {
  const format = (flags.format as string | undefined) ?? 'text';
  if (!['text', 'dot', 'json', 'html'].includes(format)) throw new UsageError(`--format must be text, dot, json or html, got "${format}"`);
  const batch = positive(flags, 'batch', 1);
  const len = positive(flags, 'seq-len', 64);
  /** Symbols get --batch or --seq-len; dims computed from them (an imported model's `2 * batch`) are evaluated. */
  const envOf = (symbols: readonly string[]) => {
    const env = new Map(symbols.filter(isSymbolName).map((s) => [s, s === 'batch' ? batch : len] as [string, number]));
    for (const s of symbols) if (!isSymbolName(s)) env.set(s, evalDim(s, (x) => env.get(x)));
    return env;
  };
  const graph = await buildFor(flags);
  const dumpDir = (flags['dump-dir'] as string | undefined) ?? 'smelt-dumps';
  const dumpAfter = flags['dump-after'] as string[] | undefined;
  const dumps: [string, string][] = [];
  const { result, trace } = compileWithTrace(graph, {
    disable: flags.disable as string[] | undefined,
    verifyEach: Boolean(flags['verify-each']),
    dumpAfter: dumpAfter?.includes('all') ? 'all' : dumpAfter,
    onDump: (step, pass, text) => dumps.push([`${String(step).padStart(2, '0')}-${pass}.ir`, text]),
    stopAfter: flags.after as string | undefined,
  }, envOf);
  if (dumps.length) {
    fs.mkdirSync(dumpDir, { recursive: true });
    for (const [file, text] of dumps) fs.writeFileSync(path.join(dumpDir, file), text);
  }
  const env = envOf(result.plan.symbols);
  checkArena(result.plan, env);
  const stats = planStats(result.graph, result.plan, env);
  if (format === 'html') process.stdout.write(viewerHtml(trace));
  else if (format === 'json') process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
  else if (format === 'dot') process.stdout.write(graphToDot(result.graph));
  else process.stdout.write(printGraphWithStats(result.graph, opCounts(graph), stats, env));
}
