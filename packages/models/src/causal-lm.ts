// Decoder-only language models (GPT-2, Llama) as graphs. A model says how it embeds token ids at
// some positions, runs one block over hidden states after an optional key/value cache, and turns
// hidden states into logits; from that come its three graphs:
//   model:   input_ids [batch, seq] → logits [batch, seq, vocab] (causal self-attention)
//   prefill: the same, plus every layer's keys and values `present.{i}.key|value` [batch, kvHeads, seq, headDim]
//   step:    input_ids [batch, 1] at position `past`, `past.{i}.key|value` [batch, kvHeads, past, headDim]
//            → logits [batch, 1, vocab] and `present.{i}.*` grown to past + 1
// Cached generation runs prefill once over the prompt, then step once per new token.

import { type Dim, type Graph, GraphBuilder, type Var, input, type nn } from '@smelt/ir';
import { CACHE_NAMES } from './cache-names.ts';

/** What the graphs need of a decoder-only model built in a GraphBuilder. */
export interface DecoderOnlyLM {
  readonly numLayers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Hidden states [batch, len, d] of token ids [batch, len] at positions start, start + 1, … */
  embed(ids: Var, start: Dim): Var;
  /** Block i over x, after a cache of the positions before it (none: x is the whole sequence). */
  block(i: number, x: Var, past: nn.KeyValues | undefined): { out: Var; present: nn.KeyValues };
  /** Final norm and LM head: logits [batch, len, vocab]. */
  head(x: Var): Var;
}

export const CAUSAL_LM_GRAPHS = ['model', 'prefill', 'step'] as const;
export type CausalLMGraphName = (typeof CAUSAL_LM_GRAPHS)[number];

export function buildCausalLMGraph(name: string, which: CausalLMGraphName, make: (b: GraphBuilder) => DecoderOnlyLM): Graph {
  const b = new GraphBuilder(which === 'model' ? name : `${name}_${which}`);
  const ids = input(b, 'input_ids', 'i32', ['batch', which === 'step' ? 1 : 'seq']);
  const lm = make(b);
  const layers = Array.from({ length: lm.numLayers }, (_, i) => i);
  const cache = (n: string) => input(b, n, 'f32', ['batch', lm.kvHeads, 'past', lm.headDim]);
  const past = which === 'step' ? layers.map((i) => ({ k: cache(CACHE_NAMES.past(i).k), v: cache(CACHE_NAMES.past(i).v) })) : undefined;
  let x = lm.embed(ids, which === 'step' ? 'past' : 0);
  const present: nn.KeyValues[] = [];
  for (const i of layers) {
    const s = lm.block(i, x, past?.[i]);
    x = s.out;
    present.push(s.present);
  }
  b.output('logits', lm.head(x).value);
  if (which !== 'model') {
    present.forEach(({ k, v }, i) => {
      b.output(CACHE_NAMES.present(i).k, k.value);
      b.output(CACHE_NAMES.present(i).v, v.value);
    });
  }
  return b.graph;
}
