// The files of an exported generator's own: model.js (the config, the two parts imported from
// encode/ and step/, then the embedded generation loop and its host: LOOP_JS, made from
// generation/*.ts and aot/host.ts by backends/scripts/embed.ts), model.d.ts and package.json. The
// config is validated before it gets here and goes in as JSON made safe for JavaScript source.

import { jsonLiteral } from '@smelt/backends';
import type { Seq2SeqConfig } from '../../config.ts';
import type { GeneratorTarget } from './host.ts';
import { LOOP_JS } from './loop-source.ts';
import { OPTION_FLAGS } from '../options.ts';

/** The folders of the two parts, each a whole export of the target (its own model.js, model.d.ts, weights). */
export const GENERATOR_PARTS = ['encode', 'step'] as const;

export function generatorModelJs(cfg: Seq2SeqConfig, target: GeneratorTarget, srcPadding: boolean): string {
  return `// A seq2seq generator compiled by smelt for ${target} (smelt compile --graph generator). Standalone: it
// imports only the two exports beside it, encode/model.js (source → every decoder layer's cross-attention
// keys and values) and step/model.js (one token → logits and the grown self-attention cache), and runs
// smelt's generation loop over them: greedy, sampled (seeded, the same tokens as smelt generate) or beam
// search, with the self-attention caches kept in the step part's memory between steps.
// load(options) → { generate(inputs, options), stream(inputs, options), transfers, dispose() }.

import * as encodePart from './encode/model.js';
import * as stepPart from './step/model.js';

const CONFIG = ${jsonLiteral(cfg)};
const TARGET = ${jsonLiteral(target)};
const SRC_PADDING = ${srcPadding};
const PARTS = { encode: encodePart, step: stepPart };

${LOOP_JS}
`;
}

/** One documented option per line of GenerateOptions (its names are OPTION_FLAGS', which a test checks). */
const OPTION_DOCS: { readonly [K in keyof typeof OPTION_FLAGS]: readonly [type: string, doc: string] } = {
  maxNewTokens: ['number', 'Tokens generated after bos (default: the config\'s maxDecode; at most maxLen - 1).'],
  eos: ['number', 'Token that ends a row (default: the config\'s eos, if any).'],
  strategy: ["'greedy' | 'sample' | 'beam'", 'Default greedy.'],
  temperature: ['number', 'sample: logits are divided by it (> 0, default 1).'],
  topK: ['number', 'sample: keep only the k most likely tokens (default 0: all).'],
  topP: ['number', 'sample: keep the most likely tokens whose probabilities add up to at least p, in (0, 1] (default 1).'],
  seed: ['number', 'sample: the PRNG seed, an integer in [0, 2^32) (default 0).'],
  numBeams: ['number', 'beam: beams per source row (default 4).'],
  lengthPenalty: ['number', 'beam: a finished hypothesis scores sum(log p) / length^lengthPenalty (default 1).'],
  earlyStopping: ['boolean', 'beam: stop a row once numBeams hypotheses have finished (default true).'],
};

export function generatorDts(cfg: Seq2SeqConfig, target: GeneratorTarget, srcPadding: boolean): string {
  const options = Object.entries(OPTION_DOCS).map(([k, [type, doc]]) => `  /** ${doc} */\n  readonly ${k}?: ${type};`).join('\n');
  const mask = srcPadding
    ? '  /** bool (or u8) [batch, srcLen]: 1 where the source is padding (required: compiled with --mask src). */\n  readonly srcPaddingMask: Tensor<\'bool\' | \'u8\'>;'
    : '  /** Not taken: compiled without --mask src. */\n  readonly srcPaddingMask?: undefined;';
  const loadOptions = {
    js: '',
    wasm: '  /** Threads each run of a part uses (default 1; see encode/model.d.ts). */\n  readonly threads?: number;\n',
    webgpu: '  /** navigator.gpu in a browser, the `webgpu` package\'s create([]) in Node. */\n  readonly gpu: unknown;\n  /** The folder\'s URL (ending in /) when the parts\' files are not beside their model.js. */\n  readonly baseUrl?: string | URL;\n  /** Read one of the folder\'s files yourself, by its path in the folder ("step/weights.bin"). */\n  readonly read?: (file: string) => Promise<Uint8Array>;\n',
  }[target];
  return `// Types of model.js: a seq2seq generator compiled by smelt for ${target} (tgtVocab ${cfg.tgtVocab}, maxLen ${cfg.maxLen}, bos ${cfg.bos}).

export interface Arrays { f32: Float32Array; i32: Int32Array; u8: Uint8Array; bool: Uint8Array }

export interface Tensor<D extends keyof Arrays = keyof Arrays> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: Arrays[D];
}

export interface SourceInputs {
  /** i32 [batch, srcLen]: source token ids below srcVocab (${cfg.srcVocab}). */
  readonly src: Tensor<'i32'>;
${mask}
}

/** Checked before any work; a bad value is an error naming the option and its range. */
export interface GenerateOptions {
${options}
}

export interface GeneratedStep {
  readonly step: number;
  /** One token per source row (a finished row repeats eos). */
  readonly tokens: Int32Array;
}

export interface Generator {
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Bytes copied between the host and the step part's memory since load(): the source's cross-attention
   * keys and values once per call, then per step the tokens in and ${target === 'webgpu' ? 'only the chosen token ids out (greedy and sampling pick on the GPU; beam search reads the logits)' : target === 'wasm' ? 'the logits out' : 'nothing out (js memory is the host\'s)'}. The caches stay in the part.
   */
  readonly transfers: { readonly toBackend: number; readonly fromBackend: number };
  /** bos then the generated tokens of every row: i32 [batch, 1 + steps]. */
  generate(inputs: SourceInputs, options?: GenerateOptions): Promise<Tensor<'i32'>>;
  /** The tokens as each step makes them (beam search yields its best rows once it ends). */
  stream(inputs: SourceInputs, options?: GenerateOptions): AsyncGenerator<GeneratedStep>;
  dispose(): void;
}

export interface LoadOptions {
${loadOptions}}

export declare function load(options${target === 'webgpu' ? '' : '?'}: LoadOptions): Promise<Generator>;
`;
}

export function generatorPackageJson(): string {
  const pkg = { name: 'smelt-generator', private: true, type: 'module', main: './model.js', types: './model.d.ts' };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}
