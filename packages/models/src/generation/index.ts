// Generation for seq2seq: cached decoding with greedy, sampled and beam strategies.

export { Seq2SeqGenerator, type GeneratedStep } from './generator.ts';
export { type GenerateOptions, GenerationError, OPTION_FLAGS, type ResolvedOptions, type Strategy, resolveOptions } from './options.ts';
export { CachedDecoder, type Encoded, type SourceInputs, type StepState } from './cached-decoder.ts';
export { Mulberry32 } from './prng.ts';
export { argmaxRow, logSoftmaxRow, sampleRow, sampleRowWith } from './sampler.ts';
export { BeamSearch, type BeamOptions } from './beam.ts';
export { CausalLMGenerator, type CausalLMGenerateOptions, checkCausalLMRequest, greedyFullPrefix } from './causal-lm.ts';
