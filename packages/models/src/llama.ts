// A Llama-style decoder (Hugging Face's LlamaForCausalLM): token embeddings, pre-norm blocks
// (RMSNorm, causal self-attention with rotary position embeddings and grouped-query heads — nHead
// query heads over nKvHead key/value heads — through separate q_proj/k_proj/v_proj/o_proj without
// biases, RMSNorm, a SwiGLU MLP gate_proj/up_proj/down_proj), a final RMSNorm and an untied lm_head.
// Weights carry the checkpoint's names: model.embed_tokens.weight, model.layers.{i}.self_attn.q_proj.weight, …

import { type Dim, type GraphBuilder, type Var, nn } from '@smelt/ir';
import { type Check, ConfigError, LIMITS, checkHeads, positiveInt, positiveNumber } from './config-checks.ts';
import type { DecoderOnlyLM } from './causal-lm.ts';

export interface LlamaConfig {
  readonly model: 'llama';
  readonly vocabSize: number;
  /** Rows of the rotary tables: the longest sequence (max_position_embeddings). */
  readonly maxPositions: number;
  readonly dModel: number;
  readonly nHead: number;
  /** Key/value heads (num_key_value_heads), dividing nHead. */
  readonly nKvHead: number;
  readonly numLayers: number;
  /** The MLP's inner width (intermediate_size). */
  readonly dimFeedforward: number;
  readonly rmsNormEps: number;
  /** RoPE's base (rope_theta). */
  readonly ropeTheta: number;
}

export const LLAMA_KEYS: Record<string, Check> = {
  vocabSize: positiveInt(LIMITS.srcVocab), maxPositions: positiveInt(LIMITS.maxLen), dModel: positiveInt(LIMITS.dModel),
  nHead: positiveInt(LIMITS.dModel), nKvHead: positiveInt(LIMITS.dModel), numLayers: positiveInt(LIMITS.numDecoderLayers),
  dimFeedforward: positiveInt(LIMITS.dimFeedforward), rmsNormEps: positiveNumber, ropeTheta: positiveNumber,
};

export function checkLlama(cfg: LlamaConfig, file: string): void {
  checkHeads(file, cfg.dModel, cfg.nHead, { key: 'nKvHead', value: cfg.nKvHead });
  const headDim = cfg.dModel / cfg.nHead;
  if (headDim % 2 !== 0) throw new ConfigError(`${file}: rotary embeddings need an even head size (dModel / nHead), got ${headDim}`);
}

class LlamaBlock {
  readonly inputNorm: nn.RMSNorm;
  readonly attn: nn.MultiHeadAttention;
  readonly postNorm: nn.RMSNorm;
  readonly mlp: nn.GatedFeedForward;

  constructor(scope: nn.Scope, cfg: LlamaConfig, rotary: nn.RotaryEmbedding) {
    this.inputNorm = new nn.RMSNorm(scope.child('input_layernorm'), cfg.dModel, cfg.rmsNormEps);
    this.attn = new nn.MultiHeadAttention(scope.child('self_attn'), cfg.dModel, cfg.nHead, {
      layout: { separate: nn.HF_PROJECTION_NAMES, bias: false }, kvHeads: cfg.nKvHead, causal: true, rotary,
    });
    this.postNorm = new nn.RMSNorm(scope.child('post_attention_layernorm'), cfg.dModel, cfg.rmsNormEps);
    this.mlp = new nn.GatedFeedForward(scope.child('mlp'), cfg.dModel, cfg.dimFeedforward);
  }

  forward(x: Var, past: nn.KeyValues | undefined): { out: Var; present: nn.KeyValues } {
    const a = this.attn.step(this.inputNorm.forward(x), past);
    const h = x.add(a.out);
    return { out: h.add(this.mlp.forward(this.postNorm.forward(h))), present: a.present };
  }
}

/** The layers of LlamaForCausalLM; parameter names are its state_dict names. */
export class Llama implements DecoderOnlyLM {
  readonly embedTokens: nn.Embedding;
  readonly layers: LlamaBlock[];
  readonly norm: nn.RMSNorm;
  readonly lmHead: nn.Linear;
  readonly numLayers: number;
  readonly kvHeads: number;
  readonly headDim: number;

  constructor(b: GraphBuilder, readonly cfg: LlamaConfig) {
    const m = new nn.Scope(b).child('model');
    this.headDim = cfg.dModel / cfg.nHead;
    const rotary = new nn.RotaryEmbedding(b, { dim: this.headDim, maxPositions: cfg.maxPositions, base: cfg.ropeTheta });
    this.embedTokens = new nn.Embedding(m.child('embed_tokens'), cfg.vocabSize, cfg.dModel);
    this.layers = Array.from({ length: cfg.numLayers }, (_, i) => new LlamaBlock(m.child('layers').child(i), cfg, rotary));
    this.norm = new nn.RMSNorm(m.child('norm'), cfg.dModel, cfg.rmsNormEps);
    this.lmHead = new nn.Linear(new nn.Scope(b).child('lm_head'), cfg.dModel, cfg.vocabSize, false);
    [this.numLayers, this.kvHeads] = [cfg.numLayers, cfg.nKvHead];
  }

  /** Token embeddings only: positions enter through the rotary embeddings (offset = the cache's length). */
  embed(ids: Var, _start: Dim): Var {
    return this.embedTokens.forward(ids);
  }

  block(i: number, x: Var, past: nn.KeyValues | undefined): { out: Var; present: nn.KeyValues } {
    return this.layers[i].forward(x, past);
  }

  head(x: Var): Var {
    return this.lmHead.forward(this.norm.forward(x));
  }
}
