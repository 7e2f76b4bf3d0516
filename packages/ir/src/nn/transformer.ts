// The encoder-decoder Transformer of "Attention is all you need", parameter for parameter
// torch.nn.Transformer(batch_first=True): encoder/decoder layers with post-norm (the paper's
// Add & Norm) or pre-norm, final encoder and decoder LayerNorms, causal decoder self-attention.

import type { Var } from '../dsl.ts';
import { LayerNorm } from './basic.ts';
import { type KeyValues, MultiHeadAttention } from './attention.ts';
import { type ActivationName, FeedForward } from './feed-forward.ts';
import type { Scope } from './scope.ts';

export interface TransformerConfig {
  readonly dModel: number;
  readonly nHead: number;
  readonly numEncoderLayers: number;
  readonly numDecoderLayers: number;
  readonly dimFeedforward: number;
  readonly activation: ActivationName;
  readonly layerNormEps: number;
  readonly normFirst: boolean;
}

/** x + f(x) around a sublayer, post-norm: norm(x + f(x)); pre-norm: x + f(norm(x)). */
function residual(x: Var, norm: LayerNorm, normFirst: boolean, f: (h: Var) => Var): Var {
  return normFirst ? x.add(f(norm.forward(x))) : norm.forward(x.add(f(x)));
}

export class TransformerEncoderLayer {
  readonly selfAttn: MultiHeadAttention;
  readonly ff: FeedForward;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;

  constructor(scope: Scope, readonly cfg: TransformerConfig) {
    this.selfAttn = new MultiHeadAttention(scope.child('self_attn'), cfg.dModel, cfg.nHead);
    this.ff = new FeedForward(scope, cfg.dModel, cfg.dimFeedforward, cfg.activation);
    this.norm1 = new LayerNorm(scope.child('norm1'), cfg.dModel, cfg.layerNormEps);
    this.norm2 = new LayerNorm(scope.child('norm2'), cfg.dModel, cfg.layerNormEps);
  }

  forward(x: Var, mask: Var | undefined): Var {
    const nf = this.cfg.normFirst;
    x = residual(x, this.norm1, nf, (h) => this.selfAttn.forward(h, h, { mask }));
    return residual(x, this.norm2, nf, (h) => this.ff.forward(h));
  }
}

export class TransformerDecoderLayer {
  readonly selfAttn: MultiHeadAttention;
  readonly crossAttn: MultiHeadAttention;
  readonly ff: FeedForward;
  readonly norms: readonly [LayerNorm, LayerNorm, LayerNorm];

  constructor(scope: Scope, readonly cfg: TransformerConfig) {
    this.selfAttn = new MultiHeadAttention(scope.child('self_attn'), cfg.dModel, cfg.nHead);
    this.crossAttn = new MultiHeadAttention(scope.child('multihead_attn'), cfg.dModel, cfg.nHead);
    this.ff = new FeedForward(scope, cfg.dModel, cfg.dimFeedforward, cfg.activation);
    const norm = (i: number) => new LayerNorm(scope.child(`norm${i}`), cfg.dModel, cfg.layerNormEps);
    this.norms = [norm(1), norm(2), norm(3)];
  }

  forward(x: Var, memory: Var, selfMask: Var | undefined, memoryMask: Var | undefined): Var {
    const nf = this.cfg.normFirst;
    x = residual(x, this.norms[0], nf, (h) => this.selfAttn.forward(h, h, { mask: selfMask }));
    x = residual(x, this.norms[1], nf, (h) => this.crossAttn.forward(h, memory, { mask: memoryMask }));
    return residual(x, this.norms[2], nf, (h) => this.ff.forward(h));
  }

  /** `forward` for new positions after a self-attention cache, with the memory's keys and values precomputed. */
  step(x: Var, past: KeyValues, cross: KeyValues, memoryMask: Var | undefined): { out: Var; present: KeyValues } {
    const nf = this.cfg.normFirst;
    let present: KeyValues | undefined;
    x = residual(x, this.norms[0], nf, (h) => {
      const s = this.selfAttn.step(h, past);
      present = s.present;
      return s.out;
    });
    x = residual(x, this.norms[1], nf, (h) => this.crossAttn.attendTo(h, cross, { mask: memoryMask }));
    return { out: residual(x, this.norms[2], nf, (h) => this.ff.forward(h)), present: present! };
  }
}

export class TransformerEncoder {
  readonly layers: TransformerEncoderLayer[];
  /** The final LayerNorm (`norm.*`); torch.nn.TransformerEncoder(norm=None) has none. */
  readonly norm: LayerNorm | undefined;

  constructor(scope: Scope, cfg: TransformerConfig, { finalNorm = true }: { readonly finalNorm?: boolean } = {}) {
    this.layers = Array.from({ length: cfg.numEncoderLayers }, (_, i) => new TransformerEncoderLayer(scope.child('layers').child(i), cfg));
    this.norm = finalNorm ? new LayerNorm(scope.child('norm'), cfg.dModel, cfg.layerNormEps) : undefined;
  }

  forward(src: Var, mask: Var | undefined): Var {
    const x = this.layers.reduce((h, layer) => layer.forward(h, mask), src);
    return this.norm ? this.norm.forward(x) : x;
  }
}

export class TransformerDecoder {
  readonly layers: TransformerDecoderLayer[];
  readonly norm: LayerNorm;

  constructor(scope: Scope, cfg: TransformerConfig) {
    this.layers = Array.from({ length: cfg.numDecoderLayers }, (_, i) => new TransformerDecoderLayer(scope.child('layers').child(i), cfg));
    this.norm = new LayerNorm(scope.child('norm'), cfg.dModel, cfg.layerNormEps);
  }

  forward(tgt: Var, memory: Var, selfMask: Var | undefined, memoryMask: Var | undefined): Var {
    return this.norm.forward(this.layers.reduce((x, layer) => layer.forward(x, memory, selfMask, memoryMask), tgt));
  }

  /** One decoding step: per layer, a self-attention cache in and grown out, and the memory's keys and values. */
  step(tgt: Var, past: readonly KeyValues[], cross: readonly KeyValues[], memoryMask: Var | undefined): { out: Var; present: KeyValues[] } {
    const present: KeyValues[] = [];
    const x = this.layers.reduce((h, layer, i) => {
      const s = layer.step(h, past[i], cross[i], memoryMask);
      present.push(s.present);
      return s.out;
    }, tgt);
    return { out: this.norm.forward(x), present };
  }
}

/** torch.nn.Transformer: parameters under `encoder.` and `decoder.` of the given scope. */
export class Transformer {
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;

  constructor(scope: Scope, readonly cfg: TransformerConfig) {
    this.encoder = new TransformerEncoder(scope.child('encoder'), cfg);
    this.decoder = new TransformerDecoder(scope.child('decoder'), cfg);
  }
}
