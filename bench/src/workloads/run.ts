// Running a workload on loaded parts: one forward for the single-part workloads, greedy decoding
// (examples/transformer's greedyDecode, the loop `smelt generate` runs) for seq2seq. Every engine,
// smelt or peer, goes through this one function, so all of them do exactly the same steps.

import type { Executable } from '@smelt/backends';
import type { Tensor } from '@smelt/ir';
import { greedyDecode } from '@smelt/examples/transformer';
import type { WorkloadShape } from './defs.ts';

export type Tensors = ReadonlyMap<string, Tensor>;

export async function runWorkload(shape: WorkloadShape, parts: readonly Executable[], inputs: Tensors): Promise<Map<string, Tensor>> {
  if (shape.kind !== 'seq2seq-greedy') return parts[0].run(inputs);
  const tokens = await greedyDecode(shape.config, parts[0], parts[1], { src: inputs.get('src')! });
  return new Map<string, Tensor>([['tokens', tokens]]);
}
