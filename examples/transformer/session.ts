// What `smelt run` and `smelt generate` do, as functions over files and a backend: load and check
// the config, weights and inputs, build the model graphs, compile them on the backend, run.

import { type Graph, type Tensor } from '@smelt/ir';
import { type Backend, type CompileOptions } from '@smelt/backends';
import { ModelIOError, readConfig, readInputs, readWeights, weightsFor } from './io.ts';
import { buildModel, buildSeq2Seq, buildSeq2SeqDecoder, buildSeq2SeqEncoder } from './models.ts';
import { greedyDecode } from './generate.ts';
import type { ModelConfig } from './config.ts';

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

/** `smelt generate`: greedy decoding of a seq2seq model; a tgt in the inputs is ignored. */
export async function generateFiles(files: ModelFiles, backend: Backend, options: CompileOptions = {}): Promise<SessionResult> {
  const t0 = now();
  const config = readConfig(files.config);
  if (config.model !== 'seq2seq') throw new ModelIOError(`generate needs a "seq2seq" config, got model "${config.model}"`);
  const inputs = readInputs(files.inputs, config, ['tgt', 'tgt_key_padding_mask']);
  const masks = { srcPadding: inputs.masks.srcPadding };
  const encoderGraph = buildSeq2SeqEncoder(config, masks);
  const decoderGraph = buildSeq2SeqDecoder(config, masks);
  const weights = readWeights(files.weights, [buildSeq2Seq(config, masks)]);
  const t1 = now();
  const encoder = await backend.compile(encoderGraph, weightsFor(encoderGraph, weights), options);
  const decoder = await backend.compile(decoderGraph, weightsFor(decoderGraph, weights), options);
  const t2 = now();
  try {
    const tokens = await greedyDecode(config, encoder, decoder, {
      src: inputs.tensors.get('src')!,
      srcPaddingMask: inputs.tensors.get('src_key_padding_mask'),
    });
    const outputs = new Map([['tokens', tokens as Tensor]]);
    return { outputs, config, graphs: [encoderGraph, decoderGraph], timings: { loadMs: t1 - t0, compileMs: t2 - t1, runMs: now() - t2 } };
  } finally {
    encoder.dispose();
    decoder.dispose();
  }
}
