// What the zoo examples (gpt2/, bert/, llama/) share: their few flags, the backend, the weights (a
// safetensors file with the model's Hugging Face names, --weights, or a seeded random init), and the
// decoder-only models' example: greedy generation with the key/value cache from a batch of prompts.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Graph, type Tensor, tensor } from '@smelt/ir';
import { pickBackend } from '@smelt/cli';
import { CausalLMGenerator, buildCausalLM, initWeights, isCausalLMConfig, readConfig, readWeights } from '@smelt/models';

/** The value after `--name`, if given. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

export async function backend(): ReturnType<typeof pickBackend> {
  return pickBackend(flag('backend'));
}

/** --weights W.safetensors (checked against the graph's parameters), or a seeded init (said so). */
export function weights(graph: Graph): Map<string, Tensor> {
  const file = flag('weights');
  if (file) return readWeights(file, [graph]);
  console.log('(no --weights: a seeded random init)');
  return initWeights(graph, 0);
}

/** Run main, printing an error as one line and a non-zero exit. */
export function runExample(name: string, main: () => Promise<void>): void {
  main().catch((e: Error) => {
    console.error(`${name}: error: ${e.message}`);
    process.exitCode = 1;
  });
}

/** The config.json next to the example `moduleUrl` (its import.meta.url). */
export function exampleConfig(moduleUrl: string) {
  return readConfig(path.join(path.dirname(fileURLToPath(moduleUrl)), 'config.json'));
}

/** Continue `prompts` (equal lengths) greedily with the cache, printing each step and the rows. */
export function decoderExample(name: string, moduleUrl: string, prompts: readonly (readonly number[])[]): void {
  runExample(name, async () => {
    const cfg = exampleConfig(moduleUrl);
    if (!isCausalLMConfig(cfg)) throw new Error('config.json must be a decoder-only config');
    const be = await backend();
    const generator = await CausalLMGenerator.compile(cfg, weights(buildCausalLM(cfg)), be);
    const ids = tensor('i32', [prompts.length, prompts[0].length], Int32Array.from(prompts.flat()));
    const maxNewTokens = Number(flag('max-new-tokens') ?? 8);
    const t0 = performance.now();
    const tokens = await generator.generate(ids, { maxNewTokens }, ({ step, tokens: t }) => console.log(`step ${step}: ${[...t].join(' ')}`));
    console.log(`${be.name}: ${maxNewTokens} tokens for ${prompts.length} prompts in ${(performance.now() - t0).toFixed(0)} ms`);
    const width = tokens.shape[1];
    prompts.forEach((_, r) => console.log(`  row ${r}: ${[...tokens.data.subarray(r * width, (r + 1) * width)].join(' ')}`));
    generator.dispose();
  });
}
