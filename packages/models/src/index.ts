// The models of docs/FORMATS.md (the Transformer models and the zoo: GPT-2, BERT, Llama): config,
// graphs, file IO, greedy decoding and generation.

export * from './config.ts';
export * from './zoo.ts';
export * from './causal-lm.ts';
export { Gpt2, GPT2_KEYS, type Gpt2Config } from './gpt2.ts';
export { buildBert, BERT_KEYS, type BertConfig, type BertInputs } from './bert.ts';
export { Llama, LLAMA_KEYS, type LlamaConfig } from './llama.ts';
export * from './models.ts';
export * from './io.ts';
export * from './generate.ts';
export * from './session.ts';
export { greedyOptions } from './causal-lm-session.ts';
export * from './init.ts';
export * from './generation/index.ts';
export { generatorFiles } from './generation/aot/export.ts';
export { GENERATOR_PARTS } from './generation/aot/model-js.ts';
