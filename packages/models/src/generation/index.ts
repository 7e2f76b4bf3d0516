// Generation: cached decoding of seq2seq (greedy, sampled, beam) and of the zoo's causal LMs, and
// full-prefix greedy decoding of models of the user's own.

export { Seq2SeqGenerator, type GeneratedStep } from './generator.ts';
export { type GenerateOptions, GenerationError, OPTION_FLAGS, type ResolvedOptions, type Strategy, resolveOptions } from './options.ts';
export { CachedDecoder, type Encoded, type SourceInputs, type StepState } from './cached-decoder.ts';
export { Mulberry32 } from './prng.ts';
export { argmaxRow, logSoftmaxRow, sampleRow, sampleRowWith } from './sampler.ts';
export { BeamSearch, type BeamOptions } from './beam.ts';
export {
  CausalLMGenerator, type CausalLMGenerateOptions, type PrefixLogits, type TokenLimits, checkCausalLMRequest, greedyFullPrefix, greedyPrefixDecode,
} from './causal-lm.ts';
export {
  type CausalLMContract, type Seq2SeqPairContract, causalLMContract, generateCausalLM, generateSeq2SeqPair, seq2seqPairContract,
} from './own-models.ts';
