// `smelt run` and `smelt generate`: the commands of docs/FORMATS.md.

import { formatDims, type Tensor } from '@smelt/ir';
import { writeSafetensors } from '@smelt/ir/node';
import path from 'node:path';
import { type GenerateOptions, type GeneratedStep, ModelIOError, generateFiles, runFiles, type SessionResult } from '@smelt/models';
import type { CompileOptions } from '@smelt/backends';
import { WEIGHTS_DTYPES, type WeightsDType } from '@smelt/compiler';
import { type FlagSpecs, type ParsedFlags, UsageError } from './args.ts';
import { BACKEND_HELP, pickBackend } from './backends.ts';
import { checkModelFlags, generateWithModel } from './generate-model.ts';
import { MODEL_HELP, loadModel, modelFlag, readModelInputs } from './model-file.ts';

export const WEIGHTS_DTYPE_FLAG: FlagSpecs[string] = {
  kind: 'string', metavar: 'D',
  help: `how matmul weights are stored: ${WEIGHTS_DTYPES.join(', ')} (default f32); int8: symmetric, one scale per output channel; f16: IEEE half (docs/FORMATS.md, "Quantized weights")`,
};

export const RUN_FLAGS: FlagSpecs = {
  config: { kind: 'string', metavar: 'C.json', help: 'model config (docs/FORMATS.md); or --model' },
  model: { kind: 'string', metavar: 'PATH', help: MODEL_HELP },
  weights: { kind: 'string', metavar: 'W.safetensors', help: 'weights: the PyTorch state_dict, names unchanged (required with --config; with --model, default: a sibling .safetensors)' },
  inputs: { kind: 'string', required: true, metavar: 'I.safetensors', help: 'named input tensors (with --model: by the model\'s input names)' },
  out: { kind: 'string', required: true, metavar: 'O.safetensors', help: 'where to write the outputs (only on success)' },
  backend: { kind: 'string', metavar: 'B', help: BACKEND_HELP },
  optimize: { kind: 'boolean', help: 'reference backend: interpret the optimized graph (the other backends optimize unless --no-optimize)' },
  'no-optimize': { kind: 'boolean', help: 'compile the graph as built, without the pass pipeline (to compare)' },
  threads: { kind: 'string', metavar: 'N', help: 'wasm: threads per kernel (default 1; at most the cores)' },
  simd: { kind: 'string', metavar: 'S', help: 'wasm: auto (relaxed SIMD when the engine has it, default), plain or relaxed' },
  'weights-dtype': WEIGHTS_DTYPE_FLAG,
  strict: { kind: 'boolean', help: 'weights the graph never reads are an error (default: a warning on stderr)' },
  quiet: { kind: 'boolean', help: 'print nothing on success' },
};

const { model: _model, ...RUN_CONFIG_FLAGS } = RUN_FLAGS;

export const GENERATE_FLAGS: FlagSpecs = {
  ...RUN_CONFIG_FLAGS,
  config: { kind: 'string', metavar: 'C.json', help: 'a seq2seq, gpt2 or llama model config (docs/FORMATS.md); or --model' },
  model: { kind: 'string', metavar: 'PATH', help: 'a model of your own (.onnx, .smelt, .json, .ts/.js): a causal LM (token ids in, logits out), or with --decoder the encoder of a seq2seq pair; greedy, by full prefix' },
  decoder: { kind: 'string', metavar: 'PATH', help: 'with --model ENCODER: the decoder of a seq2seq pair (the memory and target ids in, logits out)' },
  bos: { kind: 'string', metavar: 'ID', help: 'with --decoder: the start token of every target row (required)' },
  weights: { kind: 'string', metavar: 'W.safetensors', help: 'weights: the PyTorch state_dict, names unchanged (required with --config; a --model\'s: as for smelt run)' },
  strategy: { kind: 'string', metavar: 'S', help: 'greedy (default), sample or beam (--model: greedy only)' },
  'max-new-tokens': { kind: 'string', metavar: 'N', help: 'tokens after bos (default: the config\'s maxDecode; at most maxLen - 1); gpt2, llama and --model: tokens after the prompt (or bos) (required; gpt2, llama: prompt + N at most maxPositions)' },
  eos: { kind: 'string', metavar: 'ID', help: 'token that ends a row (default: the config\'s eos)' },
  temperature: { kind: 'string', metavar: 'T', help: 'sample: divide the logits by T > 0 (default 1)' },
  'top-k': { kind: 'string', metavar: 'K', help: 'sample: keep the K most likely tokens (default 0: all)' },
  'top-p': { kind: 'string', metavar: 'P', help: 'sample: keep the most likely tokens adding up to P in (0, 1] (default 1)' },
  seed: { kind: 'string', metavar: 'N', help: 'sample: PRNG seed, an integer in [0, 2^32) (default 0; same seed, same tokens)' },
  beams: { kind: 'string', metavar: 'N', help: 'beam: beams per row (default 4)' },
  'length-penalty': { kind: 'string', metavar: 'X', help: 'beam: finished scores are sum(log p) / length^X (default 1)' },
  'no-early-stopping': { kind: 'boolean', help: 'beam: go on until no live beam can beat the finished ones' },
  stream: { kind: 'boolean', help: 'print each step\'s tokens as they come' },
};

/** A flag's text as a number when it reads as one; otherwise as it is, for the option check to name. */
function numeric(raw: string): number | string {
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
}

/** The generation options the flags ask for (checked by resolveOptions, which names the flag). */
export function generateOptions(flags: ParsedFlags): GenerateOptions {
  const num = (name: string) => (flags[name] === undefined ? undefined : numeric(flags[name] as string));
  const options: Record<string, unknown> = {
    strategy: flags.strategy, maxNewTokens: num('max-new-tokens'), eos: num('eos'), temperature: num('temperature'),
    topK: num('top-k'), topP: num('top-p'), seed: num('seed'), numBeams: num('beams'), lengthPenalty: num('length-penalty'),
    earlyStopping: flags['no-early-stopping'] ? false : undefined,
  };
  for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
  return options as GenerateOptions;
}

function describe(outputs: Map<string, Tensor>): string {
  return [...outputs].map(([k, t]) => `${k} ${t.dtype}${formatDims(t.shape)}`).join(', ');
}

type Finished = Pick<SessionResult, 'outputs' | 'timings'> & { readonly label: string };

async function finish(kind: string, flags: ParsedFlags, backendName: string, result: Finished): Promise<void> {
  writeSafetensors(flags.out as string, result.outputs);
  if (flags.quiet) return;
  const t = result.timings;
  process.stdout.write(
    `${kind}: ${result.label} on ${backendName}: wrote ${describe(result.outputs)} to ${flags.out}\n` +
      `  load ${t.loadMs.toFixed(1)} ms, compile ${t.compileMs.toFixed(1)} ms, run ${t.runMs.toFixed(1)} ms\n`,
  );
}

/** --weights-dtype, checked (an error naming the flag and the allowed values). */
function weightsDtypeFlag(flags: ParsedFlags): WeightsDType | undefined {
  const raw = flags['weights-dtype'] as string | undefined;
  if (raw === undefined) return undefined;
  if (!(WEIGHTS_DTYPES as readonly string[]).includes(raw)) throw new UsageError(`--weights-dtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got "${raw}"`);
  return raw as WeightsDType;
}

/** Warnings go to stderr, one line each; --strict makes them errors; --weights-dtype. */
export function diagnosticOptions(flags: ParsedFlags): Pick<CompileOptions, 'strict' | 'warn' | 'weightsDtype'> {
  const weightsDtype = weightsDtypeFlag(flags);
  return { strict: flags.strict === true, warn: (message) => process.stderr.write(`smelt: warning: ${message}\n`), ...(weightsDtype ? { weightsDtype } : {}) };
}

/** The backend's compile options from the flags; a flag the chosen backend does not take is an error. */
export function compileOptions(flags: ParsedFlags, backend: string): CompileOptions {
  if (flags.optimize && flags['no-optimize']) throw new UsageError('--optimize and --no-optimize contradict each other');
  const options: Record<string, unknown> = { ...diagnosticOptions(flags) };
  if (flags.optimize) options.optimize = true;
  if (flags['no-optimize']) options.optimize = false;
  for (const name of ['threads', 'simd'] as const) {
    if (flags[name] !== undefined && backend !== 'wasm') throw new UsageError(`--${name} applies to the wasm backend, not "${backend}"`);
  }
  if (flags.threads !== undefined) {
    const raw = flags.threads as string;
    if (!/^[1-9]\d*$/.test(raw)) throw new UsageError(`--threads must be a positive integer, got "${raw}"`);
    options.threads = Number(raw);
  }
  if (flags.simd !== undefined) {
    if (!['auto', 'plain', 'relaxed'].includes(flags.simd as string)) throw new UsageError(`--simd must be auto, plain or relaxed, got "${flags.simd}"`);
    options.simd = flags.simd;
  }
  return options as CompileOptions;
}

/** `smelt run --model`: the model's own graph, inputs and outputs by its own names. */
async function runModel(flags: ParsedFlags, model: string): Promise<void> {
  const backend = await pickBackend(flags.backend as string | undefined);
  const options = compileOptions(flags, backend.name);
  const t0 = performance.now();
  const { graph, weights } = await loadModel(model, flags.weights as string | undefined);
  if (!weights) throw new ModelIOError(`${model}: the model has parameters but no weights: pass --weights or put a .safetensors file of the same name beside it`);
  const inputs = readModelInputs(flags.inputs as string, graph);
  const t1 = performance.now();
  const exe = await backend.compile(graph, weights, options);
  const t2 = performance.now();
  let outputs: Map<string, Tensor>;
  try {
    outputs = await exe.run(inputs);
  } finally {
    exe.dispose();
  }
  const timings = { loadMs: t1 - t0, compileMs: t2 - t1, runMs: performance.now() - t2 };
  await finish('run', flags, backend.name, { outputs, timings, label: path.basename(model) });
}

export async function runCommand(flags: ParsedFlags): Promise<void> {
  const model = modelFlag(flags);
  if (model !== undefined) return runModel(flags, model);
  if (flags.weights === undefined) throw new UsageError('missing required option --weights');
  const backend = await pickBackend(flags.backend as string | undefined);
  const files = { config: flags.config as string, weights: flags.weights as string, inputs: flags.inputs as string };
  const result = await runFiles(files, backend, compileOptions(flags, backend.name));
  await finish('run', flags, backend.name, { ...result, label: result.config.model });
}

export async function generateCommand(flags: ParsedFlags): Promise<void> {
  const model = modelFlag(flags);
  checkModelFlags(flags);
  if (model === undefined && flags.weights === undefined) throw new UsageError('missing required option --weights');
  const backend = await pickBackend(flags.backend as string | undefined);
  const stream = flags.stream && !flags.quiet ? (s: GeneratedStep) => process.stdout.write(`step ${s.step}: ${s.tokens.join(' ')}\n`) : undefined;
  if (model !== undefined) {
    const result = await generateWithModel(flags, backend, compileOptions(flags, backend.name), generateOptions(flags), stream);
    return finish('generate', flags, backend.name, result);
  }
  const files = { config: flags.config as string, weights: flags.weights as string, inputs: flags.inputs as string };
  const result = await generateFiles(files, backend, compileOptions(flags, backend.name), generateOptions(flags), stream);
  await finish('generate', flags, backend.name, { ...result, label: result.config.model });
}
