// A BERT-style encoder classifier (Hugging Face's BertForSequenceClassification): word, position
// and token-type embeddings summed and normalized, post-norm encoder layers (self-attention
// through separate query/key/value projections, Add & Norm, an intermediate gelu (erf) layer, Add &
// Norm), a tanh pooler over the first token and a linear classifier. The padding mask is Hugging
// Face's `attention_mask` (1 = a token, 0 = padding). Weights carry the checkpoint's names:
// bert.embeddings.word_embeddings.weight, bert.encoder.layer.{i}.attention.self.query.weight, …

import { type Dim, type Graph, GraphBuilder, type Var, input, nn, where } from '@smelt/ir';
import { type Check, LIMITS, checkHeads, positiveInt, positiveNumber } from './config-checks.ts';

export interface BertConfig {
  readonly model: 'bert';
  readonly vocabSize: number;
  /** Rows of the position table: the longest sequence. */
  readonly maxPositions: number;
  /** Token types (segments); Hugging Face's type_vocab_size. */
  readonly typeVocabSize: number;
  readonly dModel: number;
  readonly nHead: number;
  readonly numLayers: number;
  /** The intermediate layer's width. */
  readonly dimFeedforward: number;
  readonly layerNormEps: number;
  /** Classes of the classifier head. */
  readonly numLabels: number;
}

export const BERT_KEYS: Record<string, Check> = {
  vocabSize: positiveInt(LIMITS.srcVocab), maxPositions: positiveInt(LIMITS.maxLen), typeVocabSize: positiveInt(LIMITS.srcVocab),
  dModel: positiveInt(LIMITS.dModel), nHead: positiveInt(LIMITS.dModel), numLayers: positiveInt(LIMITS.numEncoderLayers),
  dimFeedforward: positiveInt(LIMITS.dimFeedforward), layerNormEps: positiveNumber, numLabels: positiveInt(LIMITS.tgtVocab),
};

export function checkBert(cfg: BertConfig, file: string): void {
  checkHeads(file, cfg.dModel, cfg.nHead);
}

/** Which optional inputs a BERT graph takes. */
export interface BertInputs {
  /** `attention_mask` bool [batch, seq]: true (1) at tokens, false (0) at padding. */
  readonly attentionMask?: boolean;
  /** `token_type_ids` i32 [batch, seq]; without it every token is of type 0. */
  readonly tokenTypeIds?: boolean;
}

const BERT_ATTENTION: nn.ProjectionLayout = { separate: { q: 'self.query', k: 'self.key', v: 'self.value', o: 'output.dense' }, bias: true };

class BertLayer {
  readonly attention: nn.MultiHeadAttention;
  readonly attentionNorm: nn.LayerNorm;
  readonly ff: nn.FeedForward;
  readonly outputNorm: nn.LayerNorm;

  constructor(scope: nn.Scope, cfg: BertConfig) {
    this.attention = new nn.MultiHeadAttention(scope.child('attention'), cfg.dModel, cfg.nHead, { layout: BERT_ATTENTION });
    this.attentionNorm = new nn.LayerNorm(scope.child('attention.output.LayerNorm'), cfg.dModel, cfg.layerNormEps);
    this.ff = new nn.FeedForward(scope, cfg.dModel, cfg.dimFeedforward, 'gelu', { names: ['intermediate.dense', 'output.dense'] });
    this.outputNorm = new nn.LayerNorm(scope.child('output.LayerNorm'), cfg.dModel, cfg.layerNormEps);
  }

  forward(x: Var, mask: Var | undefined): Var {
    const a = this.attentionNorm.forward(x.add(this.attention.forward(x, x, { mask })));
    return this.outputNorm.forward(a.add(this.ff.forward(a)));
  }
}

/** input_ids (and the optional inputs) → logits [batch, numLabels]. */
export function buildBert(cfg: BertConfig, which: BertInputs = {}): Graph {
  const b = new GraphBuilder('bert');
  const ids = input(b, 'input_ids', 'i32', ['batch', 'seq']);
  const keep = which.attentionMask ? input(b, 'attention_mask', 'bool', ['batch', 'seq']) : undefined;
  const types = which.tokenTypeIds ? input(b, 'token_type_ids', 'i32', ['batch', 'seq']) : undefined;
  const root = new nn.Scope(b);
  const bert = root.child('bert');
  const e = bert.child('embeddings');
  const word = new nn.Embedding(e.child('word_embeddings'), cfg.vocabSize, cfg.dModel);
  const position = new nn.Embedding(e.child('position_embeddings'), cfg.maxPositions, cfg.dModel);
  const tokenType = new nn.Embedding(e.child('token_type_embeddings'), cfg.typeVocabSize, cfg.dModel);
  const embedNorm = new nn.LayerNorm(e.child('LayerNorm'), cfg.dModel, cfg.layerNormEps);
  const layers = Array.from({ length: cfg.numLayers }, (_, i) => new BertLayer(bert.child('encoder.layer').child(i), cfg));
  const pooler = new nn.Linear(bert.child('pooler.dense'), cfg.dModel, cfg.dModel);
  const classifier = new nn.Linear(root.child('classifier'), cfg.dModel, cfg.numLabels);

  const [batch, seq] = ids.shape as Dim[];
  const typeRows = types ? tokenType.forward(types) : tokenType.weight.slice(0, 0, 1);
  const embedded = embedNorm.forward(word.forward(ids).add(typeRows).add(position.weight.slice(0, 0, seq)));
  const mask = keep ? where(keep, 0, -Infinity).reshape([batch, 1, 1, seq]) : undefined;
  const hidden = layers.reduce((x, layer) => layer.forward(x, mask), embedded);
  const first = hidden.slice(1, 0, 1).reshape([batch, cfg.dModel]);
  b.output('logits', classifier.forward(pooler.forward(first).tanh()).value);
  return b.graph;
}
