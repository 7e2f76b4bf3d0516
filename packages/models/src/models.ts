// The two models of docs/FORMATS.md written in the DSL from smelt's nn layers:
// `torch-transformer` (src, tgt embeddings in → out) and `seq2seq` (token ids in → logits), plus
// the graphs decoding runs: the encoder and decoder halves (full-prefix decoding), and the encode
// and step graphs of cached decoding (keys and values kept between steps).

import { type Dim, GraphBuilder, type Graph, type Var, add, input, nn } from '@smelt/ir';
import { CACHE_NAMES } from './cache-names.ts';
import type { ModelConfig, Seq2SeqConfig, TorchTransformerConfig } from './config.ts';
import { buildZooModel, isZooConfig } from './zoo.ts';

/** Which optional mask inputs a graph takes (the zoo's BERT: attention_mask and token_type_ids). */
export interface MaskInputs {
  readonly srcPadding?: boolean;
  readonly tgtPadding?: boolean;
  readonly attentionMask?: boolean;
  readonly tokenTypeIds?: boolean;
}

function srcMask(b: GraphBuilder, which: MaskInputs): Var | undefined {
  if (!which.srcPadding) return undefined;
  return nn.keyPaddingMask(input(b, 'src_key_padding_mask', 'bool', ['batch', 'srcLen']));
}

/** The decoder self-attention mask: causal, plus target padding when given. */
function decoderSelfMask(b: GraphBuilder, which: MaskInputs): Var {
  const causal = nn.causalMask(b, 'tgtLen');
  if (!which.tgtPadding) return causal;
  return add(causal, nn.keyPaddingMask(input(b, 'tgt_key_padding_mask', 'bool', ['batch', 'tgtLen'])));
}

export function buildTorchTransformer(cfg: TorchTransformerConfig, masks: MaskInputs = {}): Graph {
  const b = new GraphBuilder('torch_transformer');
  const src = input(b, 'src', 'f32', ['batch', 'srcLen', cfg.dModel]);
  const tgt = input(b, 'tgt', 'f32', ['batch', 'tgtLen', cfg.dModel]);
  const memMask = srcMask(b, masks);
  const selfMask = decoderSelfMask(b, masks);
  const t = new nn.Transformer(new nn.Scope(b), cfg);
  const memory = t.encoder.forward(src, memMask);
  b.output('out', t.decoder.forward(tgt, memory, selfMask, memMask).value);
  return b.graph;
}

/** The layers of seq2seq; parameter names are its state_dict names. */
class Seq2Seq {
  readonly srcEmbed: nn.Embedding;
  readonly tgtEmbed: nn.Embedding;
  readonly transformer: nn.Transformer;
  readonly generator: nn.Linear;
  readonly pe: nn.PositionalEncoding;

  constructor(b: GraphBuilder, readonly cfg: Seq2SeqConfig) {
    const root = new nn.Scope(b);
    this.srcEmbed = new nn.Embedding(root.child('src_embed'), cfg.srcVocab, cfg.dModel);
    this.tgtEmbed = new nn.Embedding(root.child('tgt_embed'), cfg.tgtVocab, cfg.dModel);
    this.transformer = new nn.Transformer(root.child('transformer'), cfg);
    this.generator = new nn.Linear(root.child('generator'), cfg.dModel, cfg.tgtVocab);
    this.pe = new nn.PositionalEncoding(b, cfg.maxLen, cfg.dModel);
  }

  /** E[ids] * sqrt(dModel) + PE[position]. */
  embed(table: nn.Embedding, ids: Var, start: Dim = 0): Var {
    return this.pe.forward(table.forward(ids).mul(Math.sqrt(this.cfg.dModel)), start);
  }

  encode(src: Var, mask: Var | undefined): Var {
    return this.transformer.encoder.forward(this.embed(this.srcEmbed, src), mask);
  }

  decode(tgt: Var, memory: Var, selfMask: Var, memMask: Var | undefined): Var {
    return this.generator.forward(this.transformer.decoder.forward(this.embed(this.tgtEmbed, tgt), memory, selfMask, memMask));
  }
}

/** Teacher-forced seq2seq: src, tgt ids → logits [batch, tgtLen, tgtVocab]. */
export function buildSeq2Seq(cfg: Seq2SeqConfig, masks: MaskInputs = {}): Graph {
  const b = new GraphBuilder('seq2seq');
  const src = input(b, 'src', 'i32', ['batch', 'srcLen']);
  const tgt = input(b, 'tgt', 'i32', ['batch', 'tgtLen']);
  const memMask = srcMask(b, masks);
  const selfMask = decoderSelfMask(b, masks);
  const model = new Seq2Seq(b, cfg);
  b.output('logits', model.decode(tgt, model.encode(src, memMask), selfMask, memMask).value);
  return b.graph;
}

/** The encoder half: src ids → memory [batch, srcLen, dModel]. */
export function buildSeq2SeqEncoder(cfg: Seq2SeqConfig, masks: MaskInputs = {}): Graph {
  const b = new GraphBuilder('seq2seq_encoder');
  const src = input(b, 'src', 'i32', ['batch', 'srcLen']);
  const memMask = srcMask(b, masks);
  b.output('memory', new Seq2Seq(b, cfg).encode(src, memMask).value);
  return pruneUnusedParams(b.graph);
}

/** The decoder half: memory and a target prefix → the greedy next token at every position. */
export function buildSeq2SeqDecoder(cfg: Seq2SeqConfig, masks: MaskInputs = {}): Graph {
  const b = new GraphBuilder('seq2seq_decoder');
  const memory = input(b, 'memory', 'f32', ['batch', 'srcLen', cfg.dModel]);
  const tgt = input(b, 'tgt', 'i32', ['batch', 'tgtLen']);
  const memMask = srcMask(b, masks);
  const selfMask = decoderSelfMask(b, { tgtPadding: false });
  const logits = new Seq2Seq(b, cfg).decode(tgt, memory, selfMask, memMask);
  b.output('next', logits.argmax(-1).value);
  return pruneUnusedParams(b.graph);
}

export { CACHE_NAMES };

/** Cached decoding, once per source: src ids → every decoder layer's cross-attention keys and values. */
export function buildSeq2SeqEncode(cfg: Seq2SeqConfig, masks: MaskInputs = {}): Graph {
  const b = new GraphBuilder('seq2seq_encode');
  const src = input(b, 'src', 'i32', ['batch', 'srcLen']);
  const model = new Seq2Seq(b, cfg);
  const memory = model.encode(src, srcMask(b, masks));
  model.transformer.decoder.layers.forEach((layer, i) => {
    const { k, v } = layer.crossAttn.keyValues(memory);
    const names = CACHE_NAMES.cross(i);
    b.output(names.k, k.value);
    b.output(names.v, v.value);
  });
  return pruneUnusedParams(b.graph);
}

/**
 * Cached decoding, once per token: the new token ids [batch, 1] at position `past`, each layer's
 * self-attention cache [batch, nHead, past, headDim] and cross keys and values → the logits
 * [batch, 1, tgtVocab] and each layer's cache grown to past + 1.
 */
export function buildSeq2SeqStep(cfg: Seq2SeqConfig, masks: MaskInputs = {}): Graph {
  const b = new GraphBuilder('seq2seq_step');
  const headDim = cfg.dModel / cfg.nHead;
  const tgt = input(b, 'tgt', 'i32', ['batch', 1]);
  const memMask = srcMask(b, masks);
  const heads = (name: string, len: Dim) => input(b, name, 'f32', ['batch', cfg.nHead, len, headDim]);
  const layers = Array.from({ length: cfg.numDecoderLayers }, (_, i) => i);
  const cross = layers.map((i) => ({ k: heads(CACHE_NAMES.cross(i).k, 'srcLen'), v: heads(CACHE_NAMES.cross(i).v, 'srcLen') }));
  const past = layers.map((i) => ({ k: heads(CACHE_NAMES.past(i).k, 'past'), v: heads(CACHE_NAMES.past(i).v, 'past') }));
  const model = new Seq2Seq(b, cfg);
  const step = model.transformer.decoder.step(model.embed(model.tgtEmbed, tgt, 'past'), past, cross, memMask);
  b.output('logits', model.generator.forward(step.out).value);
  step.present.forEach(({ k, v }, i) => {
    b.output(CACHE_NAMES.present(i).k, k.value);
    b.output(CACHE_NAMES.present(i).v, v.value);
  });
  return pruneUnusedParams(b.graph);
}

/** Each half declares every seq2seq layer; keep only the parameters it uses. */
function pruneUnusedParams(g: Graph): Graph {
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  const keep = g.params.filter((p) => used.has(p));
  g.params.splice(0, g.params.length, ...keep);
  return g;
}

/** The graphs of seq2seq by name: teacher forcing, the full-prefix halves, and cached decoding's two. */
export const SEQ2SEQ_GRAPHS = ['model', 'encoder', 'decoder', 'encode', 'step'] as const;
export type Seq2SeqGraphName = (typeof SEQ2SEQ_GRAPHS)[number];

export function buildSeq2SeqGraph(cfg: Seq2SeqConfig, which: Seq2SeqGraphName, masks: MaskInputs = {}): Graph {
  switch (which) {
    case 'model': return buildSeq2Seq(cfg, masks);
    case 'encoder': return buildSeq2SeqEncoder(cfg, masks);
    case 'decoder': return buildSeq2SeqDecoder(cfg, masks);
    case 'encode': return buildSeq2SeqEncode(cfg, masks);
    case 'step': return buildSeq2SeqStep(cfg, masks);
    default: return which satisfies never;
  }
}

export function buildModel(cfg: ModelConfig, masks: MaskInputs = {}): Graph {
  if (isZooConfig(cfg)) return buildZooModel(cfg, masks);
  return cfg.model === 'seq2seq' ? buildSeq2Seq(cfg, masks) : buildTorchTransformer(cfg, masks);
}
