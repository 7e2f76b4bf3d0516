// GPT-2 (the zoo's "gpt2" config, config.json here) continues two prompts greedily with its
// key/value cache: prefill once over the prompt, then one step per token.
//   pnpm exec tsx examples/gpt2/generate.ts [--weights W.safetensors] [--backend B] [--max-new-tokens N]
// With --weights tests/goldens/gpt2/weights.safetensors (random weights PyTorch ran) it prints the
// tokens of tests/goldens/gpt2/expected.safetensors (the same prompts).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor } from '@smelt/ir';
import { CausalLMGenerator, buildCausalLM, isCausalLMConfig, readConfig } from '@smelt/models';
import { backend, flag, runExample, weights } from '../zoo-args.ts';

runExample('gpt2', async () => {
  const cfg = readConfig(path.join(path.dirname(fileURLToPath(import.meta.url)), 'config.json'));
  if (!isCausalLMConfig(cfg)) throw new Error('config.json must be a decoder-only config');
  const be = await backend();
  const generator = await CausalLMGenerator.compile(cfg, weights(buildCausalLM(cfg)), be);
  const prompt = tensor('i32', [2, 7], Int32Array.from([33, 18, 20, 33, 15, 5, 6, 14, 29, 48, 41, 1, 31, 43]));
  const maxNewTokens = Number(flag('max-new-tokens') ?? 8);
  const t0 = performance.now();
  const tokens = await generator.generate(prompt, { maxNewTokens }, ({ step, tokens: t }) => console.log(`step ${step}: ${[...t].join(' ')}`));
  console.log(`${be.name}: ${maxNewTokens} tokens for 2 prompts in ${(performance.now() - t0).toFixed(0)} ms`);
  for (let r = 0; r < 2; r++) console.log(`  row ${r}: ${[...tokens.data.subarray(r * tokens.shape[1], (r + 1) * tokens.shape[1])].join(' ')}`);
  generator.dispose();
});
