// The encoder-decoder Transformer of "Attention is all you need", parameter for parameter
// torch.nn.Transformer(batch_first=True): encoder/decoder layers with post-norm (the paper's
// Add & Norm) or pre-norm, final encoder and decoder LayerNorms, causal decoder self-attention.

import type { Var } from '../dsl.ts';
import { LayerNorm } from './basic.ts';
import { MultiHeadAttention } from './attention.ts';
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
}

export class TransformerEncoder {
  readonly layers: TransformerEncoderLayer[];
  readonly norm: LayerNorm;

  constructor(scope: Scope, cfg: TransformerConfig) {
    this.layers = Array.from({ length: cfg.numEncoderLayers }, (_, i) => new TransformerEncoderLayer(scope.child('layers').child(i), cfg));
    this.norm = new LayerNorm(scope.child('norm'), cfg.dModel, cfg.layerNormEps);
  }

  forward(src: Var, mask: Var | undefined): Var {
    return this.norm.forward(this.layers.reduce((x, layer) => layer.forward(x, mask), src));
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
