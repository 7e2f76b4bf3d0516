// A GPT-2-style language model (Hugging Face's GPT2LMHeadModel): learned token and position
// embeddings, pre-norm blocks (ln_1, causal self-attention through packed Conv1D c_attn/c_proj,
// ln_2, an MLP c_fc → gelu (tanh approximation) → c_proj), a final ln_f and a head tied to the
// token embedding. Weights carry the checkpoint's names: transformer.wte.weight, transformer.h.{i}.attn.c_attn.weight, …

import { type Dim, type GraphBuilder, type Var, nn } from '@smelt/ir';
import { type Check, LIMITS, checkHeads, positiveInt, positiveNumber } from './config-checks.ts';
import type { DecoderOnlyLM } from './causal-lm.ts';

export interface Gpt2Config {
  readonly model: 'gpt2';
  readonly vocabSize: number;
  /** Rows of the position table (wpe): the longest sequence. */
  readonly maxPositions: number;
  readonly dModel: number;
  readonly nHead: number;
  readonly numLayers: number;
  /** The MLP's inner width (Hugging Face's n_inner; 4 · dModel in GPT-2). */
  readonly dimFeedforward: number;
  readonly layerNormEps: number;
}

export const GPT2_KEYS: Record<string, Check> = {
  vocabSize: positiveInt(LIMITS.srcVocab), maxPositions: positiveInt(LIMITS.maxLen), dModel: positiveInt(LIMITS.dModel),
  nHead: positiveInt(LIMITS.dModel), numLayers: positiveInt(LIMITS.numDecoderLayers), dimFeedforward: positiveInt(LIMITS.dimFeedforward),
  layerNormEps: positiveNumber,
};

export function checkGpt2(cfg: Gpt2Config, file: string): void {
  checkHeads(file, cfg.dModel, cfg.nHead);
}

class Gpt2Block {
  readonly ln1: nn.LayerNorm;
  readonly attn: nn.MultiHeadAttention;
  readonly ln2: nn.LayerNorm;
  readonly mlp: nn.FeedForward;

  constructor(scope: nn.Scope, cfg: Gpt2Config) {
    this.ln1 = new nn.LayerNorm(scope.child('ln_1'), cfg.dModel, cfg.layerNormEps);
    this.attn = new nn.MultiHeadAttention(scope.child('attn'), cfg.dModel, cfg.nHead, { layout: 'conv1d', causal: true });
    this.ln2 = new nn.LayerNorm(scope.child('ln_2'), cfg.dModel, cfg.layerNormEps);
    this.mlp = new nn.FeedForward(scope.child('mlp'), cfg.dModel, cfg.dimFeedforward, 'gelu-tanh', { names: ['c_fc', 'c_proj'], conv1d: true });
  }

  forward(x: Var, past: nn.KeyValues | undefined): { out: Var; present: nn.KeyValues } {
    const a = this.attn.step(this.ln1.forward(x), past);
    const h = x.add(a.out);
    return { out: h.add(this.mlp.forward(this.ln2.forward(h))), present: a.present };
  }
}

/** The layers of GPT2LMHeadModel; parameter names are its state_dict names. */
export class Gpt2 implements DecoderOnlyLM {
  readonly wte: nn.Embedding;
  readonly wpe: nn.Embedding;
  readonly h: Gpt2Block[];
  readonly lnF: nn.LayerNorm;
  readonly numLayers: number;
  readonly kvHeads: number;
  readonly headDim: number;

  constructor(b: GraphBuilder, readonly cfg: Gpt2Config) {
    const t = new nn.Scope(b).child('transformer');
    this.wte = new nn.Embedding(t.child('wte'), cfg.vocabSize, cfg.dModel);
    this.wpe = new nn.Embedding(t.child('wpe'), cfg.maxPositions, cfg.dModel);
    this.h = Array.from({ length: cfg.numLayers }, (_, i) => new Gpt2Block(t.child('h').child(i), cfg));
    this.lnF = new nn.LayerNorm(t.child('ln_f'), cfg.dModel, cfg.layerNormEps);
    [this.numLayers, this.kvHeads, this.headDim] = [cfg.numLayers, cfg.nHead, cfg.dModel / cfg.nHead];
  }

  /** wte[ids] + wpe[start : start + len]. */
  embed(ids: Var, start: Dim): Var {
    return this.wte.forward(ids).add(this.wpe.weight.slice(0, start, ids.shape[1] as Dim));
  }

  block(i: number, x: Var, past: nn.KeyValues | undefined): { out: Var; present: nn.KeyValues } {
    return this.h[i].forward(x, past);
  }

  /** ln_f, then the tied head: h · wteᵀ. */
  head(x: Var): Var {
    return this.lnF.forward(x).matmul(this.wte.weight, { transB: true });
  }
}
