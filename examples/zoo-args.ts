// What the zoo examples (gpt2/, bert/, llama/) share: their few flags, the backend, and the weights:
// a safetensors file with the model's Hugging Face names (--weights), or a seeded random init.

import { type Graph, type Tensor } from '@smelt/ir';
import { pickBackend } from '@smelt/cli';
import { initWeights, readWeights } from '@smelt/models';

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
