// Llama (the zoo's "llama" config, config.json here: 8 query heads over 2 key/value heads, RoPE,
// RMSNorm, SwiGLU) continues two prompts greedily with its key/value cache (2 kv heads per layer).
//   pnpm exec tsx examples/llama/generate.ts [--weights W.safetensors] [--backend B] [--max-new-tokens N]
// With --weights tests/goldens/llama/weights.safetensors (random weights PyTorch ran) it prints the
// tokens of tests/goldens/llama/expected.safetensors (the same prompts).

import { decoderExample } from '../zoo-args.ts';

decoderExample('llama', import.meta.url, [[8, 52, 54, 58, 14, 33], [56, 16, 19, 32, 15, 16]]);
