// GPT-2 (the zoo's "gpt2" config, config.json here) continues two prompts greedily with its
// key/value cache: prefill once over the prompt, then one step per token.
//   pnpm exec tsx examples/gpt2/generate.ts [--weights W.safetensors] [--backend B] [--max-new-tokens N]
// With --weights tests/goldens/gpt2/weights.safetensors (random weights PyTorch ran) it prints the
// tokens of tests/goldens/gpt2/expected.safetensors (the same prompts).

import { decoderExample } from '../zoo-args.ts';

decoderExample('gpt2', import.meta.url, [[33, 18, 20, 33, 15, 5, 6], [14, 29, 48, 41, 1, 31, 43]]);
