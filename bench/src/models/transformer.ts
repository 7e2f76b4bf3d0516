// The bench's own Transformer, written once over TensorLib for the peers that have no model
// format of their own (TensorFlow.js, jax-js): the same math as smelt's nn layers and
// torch.nn.Transformer (post-norm, or pre-norm), batch 1 (tensors carry no batch axis here).
// Every function consumes its tensor arguments (see tensor-lib.ts).

import type { nn } from '@smelt/ir';
import type { Seq2SeqConfig } from '@smelt/models';
import type { Params } from './params.ts';
import type { TensorLib } from './tensor-lib.ts';

type Cfg = nn.TransformerConfig;

class Model<T> {
  constructor(readonly L: TensorLib<T>, readonly P: Params<T>, readonly cfg: Cfg) {}

  linear(x: T, name: string, relu = false): T {
    return this.L.linear(x, this.P.get(`${name}.weight`), this.P.get(`${name}.bias`), relu);
  }

  norm(x: T, name: string): T {
    return this.L.layerNorm(x, this.P.get(`${name}.weight`), this.P.get(`${name}.bias`), this.cfg.layerNormEps);
  }

  /** Queries from x; keys and values from kv (x itself for self-attention). */
  attention(x: T, kv: T, name: string, causal: boolean): T {
    const { L } = this;
    const q = this.linear(x, `${name}.q_proj`);
    const k = this.linear(L.keep(kv), `${name}.k_proj`);
    const v = this.linear(kv, `${name}.v_proj`);
    return this.linear(L.attention(q, k, v, this.cfg.nHead, causal), `${name}.out_proj`);
  }

  feedForward(x: T, scope: string): T {
    if (this.cfg.activation !== 'relu') throw new Error('the bench models use ReLU');
    return this.linear(this.linear(x, `${scope}linear1`, true), `${scope}linear2`);
  }

  /** post-norm: norm(x + f(x)); pre-norm: x + f(norm(x)). */
  residual(x: T, norm: string, f: (h: T) => T): T {
    const { L } = this;
    if (this.cfg.normFirst) return L.add(L.keep(x), f(this.norm(x, norm)));
    return this.norm(L.add(L.keep(x), f(x)), norm);
  }

  encoderLayer(x: T, scope: string): T {
    const { L } = this;
    x = this.residual(x, `${scope}norm1`, (h) => this.attention(L.keep(h), h, `${scope}self_attn`, false));
    return this.residual(x, `${scope}norm2`, (h) => this.feedForward(h, scope));
  }

  decoderLayer(x: T, memory: T, scope: string): T {
    const { L } = this;
    x = this.residual(x, `${scope}norm1`, (h) => this.attention(L.keep(h), h, `${scope}self_attn`, true));
    x = this.residual(x, `${scope}norm2`, (h) => this.attention(h, L.keep(memory), `${scope}multihead_attn`, false));
    return this.residual(x, `${scope}norm3`, (h) => this.feedForward(h, scope));
  }

  encoder(src: T, prefix: string): T {
    let x = src;
    for (let i = 0; i < this.cfg.numEncoderLayers; i++) x = this.encoderLayer(x, `${prefix}encoder.layers.${i}.`);
    return this.norm(x, `${prefix}encoder.norm`);
  }

  decoder(tgt: T, memory: T, prefix: string): T {
    let x = tgt;
    for (let i = 0; i < this.cfg.numDecoderLayers; i++) x = this.decoderLayer(x, memory, `${prefix}decoder.layers.${i}.`);
    this.L.drop(memory);
    return this.norm(x, `${prefix}decoder.norm`);
  }

  /** table[ids] · √d + PE[:len]. */
  embed(table: string, ids: T): T {
    const { L } = this;
    const len = L.shape(ids)[0];
    return L.add(L.scale(L.gather(this.P.get(table), ids), Math.sqrt(this.cfg.dModel)), L.rows(this.P.get('pe'), 0, len));
  }
}

/** torch-transformer: src [s, d], tgt [t, d] → out [t, d]. */
export function transformerForward<T>(L: TensorLib<T>, P: Params<T>, cfg: Cfg) {
  const m = new Model(L, P, cfg);
  return (src: T, tgt: T): T => m.decoder(tgt, m.encoder(src, ''), '');
}

/** One encoder layer (torch.nn.TransformerEncoderLayer): src [s, d] → [s, d]. */
export function encoderLayerForward<T>(L: TensorLib<T>, P: Params<T>, cfg: Cfg) {
  const m = new Model(L, P, cfg);
  return (src: T): T => m.encoderLayer(src, '');
}

/** seq2seq encoder half: src ids [s] → memory [s, d]. */
export function seq2seqEncoderForward<T>(L: TensorLib<T>, P: Params<T>, cfg: Seq2SeqConfig) {
  const m = new Model(L, P, cfg);
  return (src: T): T => m.encoder(m.embed('src_embed.weight', src), 'transformer.');
}

/** seq2seq decoder half: memory [s, d], tgt ids [t] → the argmax token at every position [t]. */
export function seq2seqDecoderForward<T>(L: TensorLib<T>, P: Params<T>, cfg: Seq2SeqConfig) {
  const m = new Model(L, P, cfg);
  return (memory: T, tgt: T): T => {
    const h = m.decoder(m.embed('tgt_embed.weight', tgt), memory, 'transformer.');
    return L.argmax(m.linear(h, 'generator'));
  };
}
