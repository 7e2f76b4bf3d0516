// `smelt compile`: ahead-of-time export of a model for a target (js, wasm, webgpu) into a folder
// that runs with nothing of smelt installed, or as ONNX (`--target onnx`: DIR/model.onnx, the
// optimized graph with its fused ops written as standard ONNX ops, by @smelt/onnx). The export is written into a staging folder next to
// --out and swapped in whole only when every file is written (staging.ts), so a failure or an
// interrupt leaves --out as it was, and a new export replaces a previous one without stale files.
// `--graph generator` exports cached generation whole: the encode and step graphs in their own folders
// and a model.js that runs smelt's generation loop over them (@smelt/models' generatorFiles).

import fs from 'node:fs';
import path from 'node:path';
import type { Graph, Tensor } from '@smelt/ir';
import { BackendError, backendNames, checkGraph, getBackend } from '@smelt/backends';
import { compileGraph } from '@smelt/compiler';
import { exportModule, writeModuleFiles } from '@smelt/backends/node';
import {
  type MaskInputs, type ModelConfig, buildModel, buildSeq2Seq, SEQ2SEQ_GRAPHS, type Seq2SeqGraphName, buildSeq2SeqGraph,
  CAUSAL_LM_GRAPHS, type CausalLMGraphName, buildCausalLM, isCausalLMConfig,
  generatorFiles, initWeights, readConfig, readWeights, weightsFor,
} from '@smelt/models';
import { type FlagSpecs, type ParsedFlags, UsageError } from './args.ts';
import { WEIGHTS_DTYPE_FLAG, diagnosticOptions } from './run-commands.ts';
import { MODEL_HELP, loadModel, modelFlag } from './model-file.ts';
import { onnxNode } from './onnx-entry.ts';
import { checkReplaceable, writeFolderAtomically } from './staging.ts';

export const COMPILE_TARGETS = ['js', 'wasm', 'webgpu', 'onnx'] as const;
const MASKS = ['src', 'tgt'] as const;
/** What --graph takes: a graph of seq2seq, or the whole generator (encode, step and the loop); a decoder-only model's prefill or step. */
const GRAPH_CHOICES = [...SEQ2SEQ_GRAPHS, 'generator', 'prefill'] as const;
type GraphChoice = (typeof GRAPH_CHOICES)[number];

export const COMPILE_FLAGS: FlagSpecs = {
  config: { kind: 'string', metavar: 'C.json', help: 'model config (docs/FORMATS.md); or --model' },
  model: { kind: 'string', metavar: 'PATH', help: MODEL_HELP },
  target: { kind: 'string', required: true, metavar: 'T', help: `target: ${COMPILE_TARGETS.join(', ')}` },
  out: { kind: 'string', required: true, metavar: 'DIR', help: 'folder to write: created, or a previous export replaced whole' },
  weights: { kind: 'string', metavar: 'W.safetensors', help: 'weights to bake in (default: --model\'s own or sibling weights, else seeded random init, see --seed)' },
  seed: { kind: 'string', metavar: 'N', help: 'seed of the random init when --weights is absent (default 0)' },
  graph: { kind: 'string', metavar: 'G', help: 'seq2seq: model (teacher forcing, default), encoder or decoder (full-prefix decoding), encode or step (cached decoding), or generator (encode, step and the generation loop: model.js offers load() → generate() and stream(); docs/FORMATS.md); gpt2, llama: model, prefill or step (cached generation)' },
  mask: { kind: 'list', metavar: 'src|tgt', help: 'take a key-padding mask input for src or tgt (repeatable)' },
  'weights-dtype': WEIGHTS_DTYPE_FLAG,
  strict: { kind: 'boolean', help: 'weights the graph never reads are an error (default: a warning on stderr)' },
  quiet: { kind: 'boolean', help: 'print nothing on success' },
};

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function masksOf(flags: ParsedFlags): MaskInputs {
  const given = (flags.mask as string[] | undefined) ?? [];
  for (const m of given) oneOf('mask', m, MASKS, 'src');
  return { srcPadding: given.includes('src'), tgtPadding: given.includes('tgt') };
}

/** The graph to export and the graph whose parameters the weights file must hold. */
function graphsOf(config: ModelConfig, which: Seq2SeqGraphName | CausalLMGraphName, masks: MaskInputs): { graph: Graph; full: Graph } {
  if (isCausalLMConfig(config)) {
    if (!(CAUSAL_LM_GRAPHS as readonly string[]).includes(which)) throw new UsageError(`--graph for ${config.model} must be one of ${CAUSAL_LM_GRAPHS.join(', ')}, got "${which}"`);
    return { graph: buildCausalLM(config, which as CausalLMGraphName), full: buildCausalLM(config) };
  }
  if (which === 'prefill') throw new UsageError(`--graph prefill needs a decoder-only (gpt2, llama) config, got model "${config.model}"`);
  if (config.model !== 'seq2seq') {
    if (which !== 'model') throw new UsageError(`--graph ${which} needs a "seq2seq" config, got model "${config.model}"`);
    const graph = buildModel(config, masks);
    return { graph, full: graph };
  }
  const full = buildSeq2Seq(config, masks);
  return { graph: which === 'model' ? full : buildSeq2SeqGraph(config, which, masks), full };
}

function seedOf(flags: ParsedFlags): number {
  const raw = flags.seed as string | undefined;
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new UsageError(`--seed must be a non-negative integer, got "${raw}"`);
  return n;
}

/** The files written, by name; many of one extension (WebGPU's shaders) as a count and a range; a folder as its file count. */
function describeFiles(files: readonly string[]): string {
  const folders = files.filter((f) => fs.statSync(f).isDirectory()).map((f) => `${path.basename(f)}/ (${fs.readdirSync(f).length} files)`);
  const names = files.filter((f) => !fs.statSync(f).isDirectory()).map((f) => path.basename(f)).sort();
  const byExt = new Map<string, string[]>();
  for (const n of names) {
    const ext = path.extname(n);
    byExt.set(ext, [...(byExt.get(ext) ?? []), n]);
  }
  const parts: string[] = [];
  for (const n of names) {
    const same = byExt.get(path.extname(n))!;
    if (same.length <= 3) parts.push(n);
    else if (same[0] === n) parts.push(`${same.length} ${path.extname(n).slice(1)} files (${same[0]} … ${same[same.length - 1]})`);
  }
  return [...parts, ...folders.sort()].join(', ');
}

/** `--graph generator`: the generator's files (model.js and the encode/ and step/ exports) into `staging`. */
async function writeGenerator(config: ModelConfig, weights: ReadonlyMap<string, Tensor>, target: string, masks: MaskInputs, flags: ParsedFlags, staging: string): Promise<void> {
  if (config.model !== 'seq2seq') throw new UsageError(`--graph generator needs a "seq2seq" config, got model "${config.model}"`);
  if (masks.tgtPadding) throw new UsageError('--graph generator takes --mask src only (decoding makes the target itself)');
  writeModuleFiles(staging, await generatorFiles(config, weights, getBackend(target), diagnosticOptions(flags), masks));
}

const randomInit = (seed: number) => `seeded random init (seed ${seed}; pass --weights for trained ones)`;

interface ToCompile {
  readonly label: string;
  readonly graph: Graph;
  /** The weights file's (a config's full model: each graph reads a subset). */
  readonly weights: Map<string, Tensor>;
  readonly source: string;
  /** Set for `--graph generator`: the seq2seq config and masks it is made of. */
  readonly generator?: { readonly config: ModelConfig; readonly masks: MaskInputs };
}

/** The graph and weights to export: a config's model (or one of its graphs, or its generator), or a --model file's. */
async function modelToCompile(flags: ParsedFlags, choice: GraphChoice, seed: number): Promise<ToCompile> {
  const model = modelFlag(flags);
  if (model !== undefined) {
    if (flags.graph !== undefined || flags.mask !== undefined) throw new UsageError('--graph and --mask apply to --config models; a --model file is exported as it is');
    const m = await loadModel(model, flags.weights as string | undefined);
    if (m.weights && flags.seed !== undefined) throw new UsageError(`--seed only applies without weights, and ${m.weightsFrom} has them`);
    const weights = m.weights ?? initWeights(m.graph, seed);
    return { label: path.basename(model), graph: m.graph, weights, source: m.weightsFrom ?? randomInit(seed) };
  }
  const config = readConfig(flags.config as string);
  const masks = masksOf(flags);
  const { graph, full } = graphsOf(config, choice === 'generator' ? 'model' : choice, masks);
  // The weights file holds the full model's; an encoder or decoder half reads a subset of them.
  const weights = flags.weights === undefined ? initWeights(full, seed) : readWeights(flags.weights as string, [full]);
  const label = `${config.model}${config.model === 'seq2seq' || choice !== 'model' ? ` (${choice})` : ''}`;
  const source = flags.weights === undefined ? randomInit(seed) : String(flags.weights);
  return { label, graph, weights, source, ...(choice === 'generator' ? { generator: { config, masks } } : {}) };
}

/** `--target onnx`: DIR/model.onnx, the optimized graph (fused ops as the standard ONNX ops they stand for). */
async function compileOnnx(m: ToCompile, flags: ParsedFlags, out: string): Promise<string[]> {
  if (m.generator) throw new UsageError('--graph generator is the generation loop in JavaScript; --target onnx writes one graph (--graph model, encoder, decoder, encode, step or prefill)');
  const weights = weightsFor(m.graph, m.weights);
  checkGraph(m.graph, weights, diagnosticOptions(flags));
  const { writeOnnx } = await onnxNode();
  const graph = compileGraph(m.graph).graph;
  return writeFolderAtomically(out, flags.out as string, async (staging) => {
    writeOnnx(path.join(staging, ONNX_FILE), graph, weights);
  }, ONNX_FILE);
}

const ONNX_FILE = 'model.onnx';

export async function compileCommand(flags: ParsedFlags): Promise<void> {
  const target = oneOf('target', flags.target as string, COMPILE_TARGETS, 'js');
  const choice: GraphChoice = oneOf('graph', flags.graph as string | undefined, GRAPH_CHOICES, 'model');
  const out = path.resolve(flags.out as string);
  // An export folder holds model.js, an ONNX one model.onnx: a folder of the other kind is not replaced.
  checkReplaceable(out, flags.out as string, target === 'onnx' ? ONNX_FILE : undefined);
  const seed = seedOf(flags);
  const options = diagnosticOptions(flags);
  if (flags.weights !== undefined && flags.seed !== undefined) throw new UsageError('--seed only applies without --weights');
  if (target === 'onnx' && options.weightsDtype !== undefined && options.weightsDtype !== 'f32') {
    throw new UsageError(`--weights-dtype ${options.weightsDtype} applies to the wasm and webgpu targets; --target onnx writes f32 weights`);
  }

  const m = await modelToCompile(flags, choice, seed);
  if (target === 'onnx') {
    const written = await compileOnnx(m, flags, out);
    if (!flags.quiet) process.stdout.write(`compile: ${m.label} as ONNX (opset 17): wrote ${describeFiles(written)} to ${flags.out}\n  weights: ${m.source}\n`);
    return;
  }
  if (!backendNames().includes(target)) throw new BackendError(`target "${target}" has no backend registered (registered: ${backendNames().join(', ')})`);
  // Exporting needs no adapter or SIMD here: the folder runs elsewhere, so the backend need not be runnable.
  const backend = getBackend(target);
  if (!backend.exportFiles) throw new BackendError(`backend "${target}" cannot export ahead of time`);

  const files = await writeFolderAtomically(out, flags.out as string, async (staging) => {
    if (m.generator) await writeGenerator(m.generator.config, m.weights, target, m.generator.masks, flags, staging);
    else await exportModule(backend, m.graph, weightsFor(m.graph, m.weights), staging, options);
  });
  if (flags.quiet) return;
  process.stdout.write(
    `compile: ${m.label} for ${target}: wrote ${describeFiles(files)} to ${flags.out}\n` +
      `  weights: ${m.source}\n`,
  );
}
