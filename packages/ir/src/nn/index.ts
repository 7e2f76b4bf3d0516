// The nn layers, built from primitive ops only: fusing them is the compiler's job.

export { Scope } from './scope.ts';
export { Embedding, LayerNorm, Linear, RMSNorm } from './basic.ts';
export { MultiHeadAttention, type AttentionMasks, type KeyValues } from './attention.ts';
export { FeedForward, type ActivationName } from './feed-forward.ts';
export { PositionalEncoding } from './positional.ts';
export { causalMask, keyPaddingMask } from './masks.ts';
export {
  Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, type TransformerConfig,
} from './transformer.ts';
