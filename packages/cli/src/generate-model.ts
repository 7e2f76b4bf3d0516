// `smelt generate --model`: greedy generation over a model of the user's own (any --model format).
// Alone, --model is a causal LM (token ids in, logits out), continued from the ids in --inputs;
// with --decoder it is the encoder of a seq2seq pair (as transformers.js ships translation models):
// the encoder reads --inputs by its own input names, the decoder takes its memory and the target
// ids, and decoding starts from --bos. Decoding is by full prefix (packages/models, generation/).

import path from 'node:path';
import type { Tensor } from '@smelt/ir';
import type { Backend, CompileOptions, Executable } from '@smelt/backends';
import {
  type GeneratedStep, ModelIOError, causalLMContract, generateCausalLM, generateSeq2SeqPair, greedyOptions, seq2seqPairContract,
} from '@smelt/models';
import { type ParsedFlags, UsageError } from './args.ts';
import { type ModelSource, loadModel, readModelInputs } from './model-file.ts';

export interface GeneratedByModel {
  readonly outputs: Map<string, Tensor>;
  readonly timings: { loadMs: number; compileMs: number; runMs: number };
  readonly label: string;
}

/** The flags that only a seq2seq pair takes, and those only a --model takes: each misuse named. */
export function checkModelFlags(flags: ParsedFlags): void {
  const pair = flags.decoder !== undefined;
  if (flags.model === undefined) {
    for (const f of ['decoder', 'bos']) if (flags[f] !== undefined) throw new UsageError(`--${f} applies with --model (a seq2seq pair: --model ENCODER --decoder DECODER), not with --config`);
    return;
  }
  if (pair && flags.bos === undefined) throw new UsageError('missing required option --bos (the start token of a seq2seq pair: --model ENCODER --decoder DECODER)');
  if (!pair && flags.bos !== undefined) throw new UsageError('--bos applies to a seq2seq pair (--model ENCODER --decoder DECODER); a causal LM --model continues the ids of --inputs');
  if (pair && flags.weights !== undefined) throw new UsageError('--weights does not apply with --decoder: each model\'s weights are in it (.onnx) or beside it');
}

function integerFlag(flags: ParsedFlags, name: string): number {
  const raw = flags[name] as string;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

async function load(file: string, weights: string | undefined): Promise<ModelSource & { weights: Map<string, Tensor> }> {
  const m = await loadModel(file, weights);
  if (!m.weights) throw new ModelIOError(`${file}: the model has parameters but no weights: pass --weights or put a .safetensors file of the same name beside it`);
  return m as ModelSource & { weights: Map<string, Tensor> };
}

/** Compile each graph on the backend; on a failure, what was compiled is disposed. */
async function compileAll(backend: Backend, models: readonly ModelSource[], options: CompileOptions): Promise<Executable[]> {
  const exes: Executable[] = [];
  try {
    for (const m of models) exes.push(await backend.compile(m.graph, m.weights!, options));
    return exes;
  } catch (e) {
    for (const x of exes) x.dispose();
    throw e;
  }
}

export async function generateWithModel(
  flags: ParsedFlags, backend: Backend, options: CompileOptions, generation: Parameters<typeof greedyOptions>[1],
  onStep: ((s: GeneratedStep) => void) | undefined,
): Promise<GeneratedByModel> {
  const t0 = performance.now();
  const model = flags.model as string;
  const decoderFile = flags.decoder as string | undefined;
  const label = decoderFile ? `${path.basename(model)} + ${path.basename(decoderFile)}` : path.basename(model);
  const o = greedyOptions(decoderFile ? 'a seq2seq --model pair' : 'a --model', generation, 'a model of your own has no config to default from');
  const bos = decoderFile ? integerFlag(flags, 'bos') : 0;
  const first = await load(model, flags.weights as string | undefined);
  const second = decoderFile ? await load(decoderFile, undefined) : undefined;
  const contract = second
    ? { pair: seq2seqPairContract(first.graph, second.graph, { encoder: model, decoder: decoderFile! }) }
    : { lm: causalLMContract(first.graph, model) };
  const inputs = readModelInputs(flags.inputs as string, first.graph);
  const t1 = performance.now();
  const [exe, decoder] = await compileAll(backend, second ? [first, second] : [first], options);
  const t2 = performance.now();
  try {
    const tokens = contract.pair
      ? await generateSeq2SeqPair(exe, decoder, contract.pair, inputs, bos, o, onStep)
      : await generateCausalLM(exe, contract.lm!, inputs.get(contract.lm!.ids)!, o, onStep);
    return { outputs: new Map([['tokens', tokens as Tensor]]), timings: { loadMs: t1 - t0, compileMs: t2 - t1, runMs: performance.now() - t2 }, label };
  } finally {
    exe.dispose();
    decoder?.dispose();
  }
}
