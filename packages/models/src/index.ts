// The Transformer models of docs/FORMATS.md: config, graphs, file IO, greedy decoding.

export * from './config.ts';
export * from './models.ts';
export * from './io.ts';
export * from './generate.ts';
export * from './session.ts';
export * from './init.ts';
export * from './generation/index.ts';
export { generatorFiles } from './generation/aot/export.ts';
export { GENERATOR_PARTS } from './generation/aot/model-js.ts';
