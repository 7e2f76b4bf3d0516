// The analytic FLOP count of a workload, from smelt's optimized kernel plan (planStats: a
// multiply-add is 2, plus the elementwise, softmax and LayerNorm work), at the workload's sizes.
// The count belongs to the workload, not the engine: every engine's GFLOP/s divides the same number.

import { compileGraph, planStats } from '@smelt/compiler';
import type { WorkloadShape } from './defs.ts';
import { buildPartGraph } from './graphs.ts';
import { workloadParts } from './defs.ts';

type Env = ReadonlyMap<string, number>;

function partFlops(graphIndex: number, shape: WorkloadShape, envs: readonly Env[]): number {
  const part = workloadParts(shape)[graphIndex];
  const { graph, plan } = compileGraph(buildPartGraph(part));
  return envs.reduce((sum, env) => sum + planStats(graph, plan, env).flops, 0);
}

export function workloadFlops(shape: WorkloadShape): number {
  switch (shape.kind) {
    case 'transformer': return partFlops(0, shape, [new Map([['batch', 1], ['srcLen', shape.srcLen], ['tgtLen', shape.tgtLen]])]);
    case 'encoder-layer': return partFlops(0, shape, [new Map([['batch', 1], ['seqLen', shape.seqLen]])]);
    case 'gemm': return partFlops(0, shape, [new Map()]);
    case 'seq2seq-greedy': {
      // Encode once, then per generated token either a decoder pass over the prefix so far
      // (full prefix, as greedyDecode) or one step over a cache of the `past` tokens before it.
      const src = { batch: 1, srcLen: shape.srcLen };
      const steps = Array.from({ length: shape.config.maxDecode }, (_, t) => new Map(Object.entries(
        shape.decoding === 'cached' ? { ...src, past: t } : { ...src, tgtLen: t + 1 })));
      return partFlops(0, shape, [new Map(Object.entries(src))]) + partFlops(1, shape, steps);
    }
    default: return shape satisfies never;
  }
}
