// `smelt generate` for the zoo's decoder-only models (GPT-2, Llama): the prompt is `input_ids`, decoding is
// greedy with the key/value cache (generation/causal-lm.ts), and only --max-new-tokens (required)
// and --eos apply; every other generation option is seq2seq's and is refused by name.

import type { Tensor } from '@smelt/ir';
import type { Backend, CompileOptions } from '@smelt/backends';
import { CausalLMGenerator } from './generation/causal-lm.ts';
import type { GeneratedStep } from './generation/generator.ts';
import { type GenerateOptions, GenerationError, OPTION_FLAGS } from './generation/options.ts';
import { readInputs, readWeights } from './io.ts';
import type { ModelFiles, SessionResult } from './session.ts';
import { type CausalLMConfig, buildCausalLM } from './zoo.ts';

/**
 * The options of greedy decoding out of `generation` (what `model` names decodes that way); any
 * other is an error naming its flag; maxNewTokens is required (`why`: there is no default).
 */
export function greedyOptions(model: string, generation: GenerateOptions, why = 'its config has no default'): { maxNewTokens: number; eos?: number } {
  for (const [key, value] of Object.entries(generation)) {
    if (key === 'maxNewTokens' || key === 'eos' || (key === 'strategy' && value === 'greedy')) continue;
    const flag = OPTION_FLAGS[key as keyof GenerateOptions] ?? key;
    throw new GenerationError(`generate: ${key} (${flag}) is not supported for ${model}, which decodes greedily (only --max-new-tokens and --eos apply)`);
  }
  if (generation.maxNewTokens === undefined) throw new GenerationError(`generate: ${model} needs maxNewTokens (--max-new-tokens): ${why}`);
  return { maxNewTokens: generation.maxNewTokens, eos: generation.eos };
}

export async function generateCausalLMFiles(
  files: ModelFiles, config: CausalLMConfig, backend: Backend, options: CompileOptions, generation: GenerateOptions,
  onStep: ((step: GeneratedStep) => void) | undefined, t0: number,
): Promise<SessionResult> {
  const o = greedyOptions(config.model, generation);
  const inputs = readInputs(files.inputs, config);
  const weights = readWeights(files.weights, [buildCausalLM(config)]);
  const t1 = performance.now();
  const generator = await CausalLMGenerator.compile(config, weights, backend, options);
  const t2 = performance.now();
  try {
    const tokens = await generator.generate(inputs.tensors.get('input_ids')!, o, onStep);
    const outputs = new Map([['tokens', tokens as Tensor]]);
    return { outputs, config, graphs: generator.graphs, timings: { loadMs: t1 - t0, compileMs: t2 - t1, runMs: performance.now() - t2 } };
  } finally {
    generator.dispose();
  }
}
