// Running a workload on loaded parts: one forward for the single-part workloads; greedy decoding
// for seq2seq, over the whole prefix per token (@smelt/models' greedyDecode) or with the
// key/value cache (its Seq2SeqGenerator over the encode and step parts, the loop `smelt generate`
// runs). Every engine goes through this one function, so all of them do exactly the same steps.

import type { Executable } from '@smelt/backends';
import type { Tensor } from '@smelt/ir';
import { CachedDecoder, Seq2SeqGenerator, greedyDecode } from '@smelt/models';
import type { WorkloadShape } from './defs.ts';

export type Tensors = ReadonlyMap<string, Tensor>;

/** `onToken` is called once per decoding step, as the step's tokens reach the host (the first-token latency). */
export async function runWorkload(shape: WorkloadShape, parts: readonly Executable[], inputs: Tensors, onToken?: () => void): Promise<Map<string, Tensor>> {
  if (shape.kind !== 'seq2seq-greedy') return parts[0].run(inputs);
  const src = { src: inputs.get('src')! };
  const tokens = shape.decoding === 'cached'
    ? await new Seq2SeqGenerator(shape.config, new CachedDecoder(shape.config, parts[0], parts[1])).generate(src, {}, onToken)
    : await greedyDecode(shape.config, parts[0], parts[1], src, onToken);
  return new Map<string, Tensor>([['tokens', tokens]]);
}
