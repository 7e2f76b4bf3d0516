// Generation options: what a caller of generate() or `smelt generate` may ask for, checked in one
// place. A bad value is a GenerationError naming the option (and its CLI flag) and the allowed range,
// before any work is done.

import type { Seq2SeqConfig } from '../config.ts';

export type Strategy = 'greedy' | 'sample' | 'beam';

export interface GenerateOptions {
  /** Tokens generated after bos (default: the config's maxDecode). */
  readonly maxNewTokens?: number;
  /** Token that ends a row (default: the config's eos, if any). */
  readonly eos?: number;
  readonly strategy?: Strategy;
  /** sample: logits are divided by it (default 1). */
  readonly temperature?: number;
  /** sample: keep only the k most likely tokens (default: all). */
  readonly topK?: number;
  /** sample: keep the most likely tokens whose probabilities add up to at least p (default 1). */
  readonly topP?: number;
  /** sample: the PRNG seed, an integer in [0, 2^32) (default 0). */
  readonly seed?: number;
  /** beam: beams per source row (default 4). */
  readonly numBeams?: number;
  /** beam: a finished hypothesis scores sum(log p) / length^lengthPenalty (default 1). */
  readonly lengthPenalty?: number;
  /** beam: stop a row once numBeams hypotheses have finished (default true). */
  readonly earlyStopping?: boolean;
}

/** Every option with its value decided. */
export interface ResolvedOptions {
  readonly maxNewTokens: number;
  readonly eos: number | undefined;
  readonly strategy: Strategy;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly seed: number;
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: boolean;
}

export class GenerationError extends Error {
  override name = 'GenerationError';
}

/** The CLI flag of each option, so one message serves the API and the command line. */
export const OPTION_FLAGS: { readonly [K in keyof GenerateOptions]-?: string } = {
  maxNewTokens: '--max-new-tokens', eos: '--eos', strategy: '--strategy', temperature: '--temperature', topK: '--top-k',
  topP: '--top-p', seed: '--seed', numBeams: '--beams', lengthPenalty: '--length-penalty', earlyStopping: '--early-stopping',
};

function fail(key: keyof GenerateOptions, want: string, got: unknown): never {
  throw new GenerationError(`generate: ${key} (${OPTION_FLAGS[key]}) must be ${want}, got ${JSON.stringify(got) ?? String(got)}`);
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** Check options against the model: positions run past the table or the step count runs past maxLen → error. */
export function resolveOptions(cfg: Seq2SeqConfig, options: GenerateOptions = {}): ResolvedOptions {
  const known = new Set(Object.keys(OPTION_FLAGS));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new GenerationError(`generate: unknown option "${key}" (expected one of ${[...known].join(', ')})`);
  }
  const o = options;
  const limit = cfg.maxLen - 1;
  const maxNewTokens = o.maxNewTokens ?? cfg.maxDecode;
  if (!isInt(maxNewTokens) || maxNewTokens < 0 || maxNewTokens > limit) {
    fail('maxNewTokens', `an integer in [0, ${limit}] (the positional table holds maxLen ${cfg.maxLen} positions, bos included)`, maxNewTokens);
  }
  const eos = o.eos ?? cfg.eos;
  if (eos !== undefined && (!isInt(eos) || eos < 0 || eos >= cfg.tgtVocab)) fail('eos', `an integer in [0, ${cfg.tgtVocab})`, eos);
  const strategy = o.strategy ?? 'greedy';
  if (strategy !== 'greedy' && strategy !== 'sample' && strategy !== 'beam') fail('strategy', 'one of "greedy", "sample", "beam"', strategy);
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) fail('temperature', 'a finite number > 0', temperature);
  const topK = o.topK ?? 0;
  if (!isInt(topK) || topK < 0) fail('topK', 'a non-negative integer (0 keeps every token)', topK);
  const topP = o.topP ?? 1;
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) fail('topP', 'a number in (0, 1]', topP);
  const seed = o.seed ?? 0;
  if (!isInt(seed) || seed < 0 || seed >= 2 ** 32) fail('seed', 'an integer in [0, 4294967296)', seed);
  const numBeams = o.numBeams ?? 4;
  if (!isInt(numBeams) || numBeams < 1 || numBeams > cfg.tgtVocab) fail('numBeams', `an integer in [1, ${cfg.tgtVocab}] (tgtVocab)`, numBeams);
  const lengthPenalty = o.lengthPenalty ?? 1;
  if (typeof lengthPenalty !== 'number' || !Number.isFinite(lengthPenalty)) fail('lengthPenalty', 'a finite number', lengthPenalty);
  const earlyStopping = o.earlyStopping ?? true;
  if (typeof earlyStopping !== 'boolean') fail('earlyStopping', 'true or false', earlyStopping);
  return { maxNewTokens, eos, strategy, temperature, topK, topP, seed, numBeams, lengthPenalty, earlyStopping };
}
