// Seeded weights for a model graph when no trained weights are given (`smelt compile` without
// --weights, benchmarks, tests): uniform in ±1/sqrt(fan-in) like PyTorch's Linear init, norm
// weights 1 and norm biases 0, so activations stay well scaled. Same seed → same bytes.

import { type Graph, type Tensor, tensor } from '@smelt/ir';

/** A small seeded generator (a 32-bit LCG) of numbers in [0, 1): same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A norm's parameters, as torch (norm1), GPT-2 (ln_1, ln_f), BERT (LayerNorm) and Llama (input_layernorm) name them. */
const NORM = /(norm\d?|ln_\w+|LayerNorm)\.(weight|bias)$/;

export function initWeights(graph: Graph, seed = 0): Map<string, Tensor> {
  const rand = seededRandom(seed);
  const out = new Map<string, Tensor>();
  for (const p of graph.params) {
    const shape = p.type.shape as number[];
    const t = tensor('f32', shape);
    const data = t.data as Float32Array;
    const name = p.name!;
    if (NORM.test(name) && name.endsWith('.weight')) data.fill(1);
    else if (!(NORM.test(name) && name.endsWith('.bias'))) {
      const bound = 1 / Math.sqrt(shape.at(-1) ?? 1);
      for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * bound;
    }
    out.set(name, t);
  }
  return out;
}
