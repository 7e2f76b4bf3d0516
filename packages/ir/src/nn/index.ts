// The nn layers, built from primitive ops only: fusing them is the compiler's job.

export { Scope } from './scope.ts';
export { Conv1D, Embedding, LayerNorm, Linear, RMSNorm } from './basic.ts';
export { MultiHeadAttention, type AttentionMasks, type AttentionOptions, type KeyValues } from './attention.ts';
export { HF_PROJECTION_NAMES, type ProjectionLayout, type Projections, type SeparateNames } from './projections.ts';
export { FeedForward, GatedFeedForward, activate, type ActivationName, type FeedForwardOptions } from './feed-forward.ts';
export { PositionalEncoding } from './positional.ts';
export { RotaryEmbedding, type RotaryOptions } from './rotary.ts';
export { causalMask, keyPaddingMask } from './masks.ts';
export {
  Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, type TransformerConfig,
} from './transformer.ts';
