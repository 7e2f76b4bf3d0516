// What `smelt run` and `smelt generate` do, as functions over files and a backend: load and check
// the config, weights and inputs, build the model graphs, compile them on the backend, run.

import type { Graph, Tensor } from '@smelt/ir';
import { type Backend, type CompileOptions } from '@smelt/backends';
import { ModelIOError, readConfig, readInputs, readWeights } from './io.ts';
import { buildModel, buildSeq2Seq } from './models.ts';
import { type GenerateOptions, type GeneratedStep, Seq2SeqGenerator, resolveOptions } from './generation/index.ts';
import type { ModelConfig } from './config.ts';
import { generateCausalLMFiles } from './causal-lm-session.ts';
import { isCausalLMConfig } from './zoo.ts';

export interface ModelFiles {
  readonly config: string;
  readonly weights: string;
  readonly inputs: string;
}

export interface Timings {
  loadMs: number;
  compileMs: number;
  runMs: number;
}

export interface SessionResult {
  readonly outputs: Map<string, Tensor>;
  readonly config: ModelConfig;
  readonly graphs: readonly Graph[];
  readonly timings: Timings;
}

const now = () => performance.now();

/** `smelt run`: the model's forward pass (teacher forcing for seq2seq). */
export async function runFiles(files: ModelFiles, backend: Backend, options: CompileOptions = {}): Promise<SessionResult> {
  const t0 = now();
  const config = readConfig(files.config);
  const inputs = readInputs(files.inputs, config);
  const graph = buildModel(config, inputs.masks);
  const weights = readWeights(files.weights, [graph]);
  const t1 = now();
  const exe = await backend.compile(graph, weights, options);
  const t2 = now();
  try {
    const outputs = await exe.run(inputs.tensors);
    return { outputs, config, graphs: [graph], timings: { loadMs: t1 - t0, compileMs: t2 - t1, runMs: now() - t2 } };
  } finally {
    exe.dispose();
  }
}

/**
 * `smelt generate`: cached decoding of a seq2seq model (greedy unless `generation` says otherwise);
 * a tgt in the inputs is ignored. A decoder-only zoo model (GPT-2) continues its `input_ids` greedily. The options are checked before anything compiles; `onStep`
 * sees each step's tokens as they come (`--stream`).
 */
export async function generateFiles(
  files: ModelFiles, backend: Backend, options: CompileOptions = {}, generation: GenerateOptions = {},
  onStep?: (step: GeneratedStep) => void,
): Promise<SessionResult> {
  const t0 = now();
  const config = readConfig(files.config);
  if (isCausalLMConfig(config)) return generateCausalLMFiles(files, config, backend, options, generation, onStep, t0);
  if (config.model !== 'seq2seq') throw new ModelIOError(`generate needs a "seq2seq" or decoder-only (gpt2, llama) config, got model "${config.model}"`);
  resolveOptions(config, generation);
  const inputs = readInputs(files.inputs, config, ['tgt', 'tgt_key_padding_mask']);
  const masks = { srcPadding: inputs.masks.srcPadding };
  const weights = readWeights(files.weights, [buildSeq2Seq(config, masks)]);
  const t1 = now();
  const generator = await Seq2SeqGenerator.compile(config, weights, backend, options, masks);
  const t2 = now();
  try {
    const source = { src: inputs.tensors.get('src')!, srcPaddingMask: inputs.tensors.get('src_key_padding_mask') };
    const tokens = await generator.generate(source, generation, onStep);
    const outputs = new Map([['tokens', tokens as Tensor]]);
    return { outputs, config, graphs: generator.graphs, timings: { loadMs: t1 - t0, compileMs: t2 - t1, runMs: now() - t2 } };
  } finally {
    generator.dispose();
  }
}
