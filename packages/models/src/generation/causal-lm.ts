// Greedy generation for the zoo's decoder-only language models (GPT-2, Llama), with the key/value cache:
// the prefill graph runs once over the prompt and returns every layer's keys and values, then the
// step graph runs once per new token with the caches, which grow by one position each step and stay
// in the step executable's memory between steps (device tensors, as for seq2seq: docs/ARCHITECTURE.md,
// "Generation"): the prefill's caches go there once, then only the tokens go in and the logits come out. `greedyPrefixDecode` is
// the same decode without the cache (the whole sequence through a model per token): over the zoo's
// model graph (`greedyFullPrefix`, the baseline the cache must equal) and over models of the user's own
// (`smelt generate --model`: a causal LM, or a seq2seq encoder and decoder pair). With `eos`, a row
// that produced it repeats it, drops out of later steps, and decoding stops once every row has.

import { type Graph, type Tensor, tensor } from '@smelt/ir';
import {
  type Backend, type CompileOptions, type DeviceTensor, type Executable, type ResidentExecutable, type RunValue, type TransferCounts, isDeviceTensor, residentOf,
} from '@smelt/backends';
import { weightsFor } from '../io.ts';
import { CACHE_NAMES } from '../cache-names.ts';
import { type CausalLMConfig, buildCausalLM } from '../zoo.ts';
import type { GeneratedStep } from './generator.ts';
import { GenerationError } from './options.ts';
import { freeAll, presentAsPast } from './cached-decoder.ts';
import { isIdentity, selectRows } from './rows.ts';
import { argmaxRow } from './sampler.ts';

export interface CausalLMGenerateOptions {
  /** Tokens generated after the prompt (required: a causal LM's config has no default). */
  readonly maxNewTokens: number;
  /** Token that ends a row. */
  readonly eos?: number;
}

/** What a request is checked against: the vocabulary, and the position table when the model has a known one. */
export interface TokenLimits {
  readonly vocabSize: number;
  /** undefined: not known (a model of the user's own); only the model itself can refuse a long sequence. */
  readonly maxPositions?: number;
}

/** Check the prompt and options against the model before any work: ids in range, positions within the table. */
export function checkCausalLMRequest(cfg: TokenLimits, ids: Tensor, o: CausalLMGenerateOptions, idsName = 'input_ids'): void {
  if (ids.dtype !== 'i32' || ids.shape.length !== 2 || ids.shape[0] < 1 || ids.shape[1] < 1) {
    throw new GenerationError(`generate: ${idsName} must be a non-empty i32 [batch, promptLen], got ${ids.dtype} [${ids.shape.join(', ')}]`);
  }
  const room = cfg.maxPositions === undefined ? Number.MAX_SAFE_INTEGER : cfg.maxPositions - ids.shape[1];
  if (!Number.isSafeInteger(o.maxNewTokens) || o.maxNewTokens < 0 || o.maxNewTokens > room) {
    const range = cfg.maxPositions === undefined ? 'a non-negative integer' : `an integer in [0, ${room}] (maxPositions ${cfg.maxPositions} minus the prompt's ${ids.shape[1]})`;
    throw new GenerationError(`generate: maxNewTokens (--max-new-tokens) must be ${range}, got ${o.maxNewTokens}`);
  }
  if (o.eos !== undefined && (!Number.isSafeInteger(o.eos) || o.eos < 0 || o.eos >= cfg.vocabSize)) {
    throw new GenerationError(`generate: eos (--eos) must be an integer in [0, ${cfg.vocabSize}), got ${o.eos}`);
  }
}

/** The token rows of one decode: the prompt, then one token per step; finished rows repeat eos. */
class TokenRows {
  readonly rows: number[][];
  /** Rows still decoding, in the order the step batch holds them. */
  active: number[];

  constructor(ids: Tensor, private readonly eos: number | undefined) {
    const [batch, len] = ids.shape;
    const data = ids.data as Int32Array;
    this.rows = Array.from({ length: batch }, (_, r) => Array.from(data.subarray(r * len, (r + 1) * len)));
    this.active = this.rows.map((_, r) => r);
  }

  /** The newest token of every row. */
  last(): Int32Array {
    return Int32Array.from(this.rows, (row) => row[row.length - 1]);
  }

  /** Append the argmax of each active row's logits (row i of the batch at `at(i)`); returns which batch rows go on. */
  push(logits: Float32Array, vocab: number, at: (i: number) => number): number[] {
    const keep: number[] = [];
    const activeSet = new Set(this.active);
    this.active.forEach((r, i) => {
      const t = argmaxRow(logits, at(i), vocab);
      this.rows[r].push(t);
      if (t !== this.eos) keep.push(i);
    });
    this.rows.forEach((row, r) => { if (!activeSet.has(r)) row.push(this.eos!); });
    this.active = keep.map((i) => this.active[i]);
    return keep;
  }

  toTensor(): Tensor<'i32'> {
    return tensor('i32', [this.rows.length, this.rows[0].length], Int32Array.from(this.rows.flat()));
  }
}

export class CausalLMGenerator {
  private readonly stepExe: ResidentExecutable;
  private readonly presentNames: ReadonlySet<string>;

  constructor(readonly cfg: CausalLMConfig, private readonly prefill: Executable, stepExe: Executable, readonly graphs: readonly Graph[] = []) {
    this.stepExe = residentOf(stepExe);
    this.presentNames = new Set(Array.from({ length: cfg.numLayers }, (_, i) => Object.values(CACHE_NAMES.present(i))).flat());
  }

  static async compile(cfg: CausalLMConfig, weights: ReadonlyMap<string, Tensor>, backend: Backend, options: CompileOptions = {}): Promise<CausalLMGenerator> {
    const [prefillGraph, stepGraph] = [buildCausalLM(cfg, 'prefill'), buildCausalLM(cfg, 'step')];
    const prefill = await backend.compile(prefillGraph, weightsFor(prefillGraph, weights), options);
    try {
      const step = await backend.compile(stepGraph, weightsFor(stepGraph, weights), options);
      return new CausalLMGenerator(cfg, prefill, step, [prefillGraph, stepGraph]);
    } catch (e) {
      prefill.dispose();
      throw e;
    }
  }

  /** Bytes copied between the host and the step executable's memory so far (a caller diffs two readings). */
  get transfers(): TransferCounts {
    return this.stepExe.transfers;
  }

  /** The prefill's caches, rows `keep` of them, as the first step's past in the step executable's memory. */
  private uploadCaches(prefilled: ReadonlyMap<string, Tensor>, keep: readonly number[]): Map<string, DeviceTensor> {
    const past = new Map<string, DeviceTensor>();
    for (let i = 0; i < this.cfg.numLayers; i++) {
      const [from, to] = [CACHE_NAMES.present(i), CACHE_NAMES.past(i)];
      for (const part of ['k', 'v'] as const) {
        const host = prefilled.get(from[part])!;
        past.set(to[part], this.stepExe.upload(isIdentity(keep, host.shape[0]) ? host : selectRows(host, keep)));
      }
    }
    return past;
  }

  /** Rows `keep` of the caches (consumes `past`): finished rows dropped. */
  private keepRows(past: Map<string, DeviceTensor>, keep: readonly number[]): Map<string, DeviceTensor> {
    const [first] = past.values();
    if (isIdentity(keep, first.shape[0])) return past;
    const kept = new Map([...past].map(([k, t]) => [k, this.stepExe.selectRows(t, keep)] as const));
    freeAll(past.values());
    return kept;
  }

  /** The prompt then up to maxNewTokens greedy tokens per row: i32 [batch, promptLen + steps]; `onStep` sees each step's tokens. */
  async generate(ids: Tensor, options: CausalLMGenerateOptions, onStep?: (step: GeneratedStep) => void): Promise<Tensor<'i32'>> {
    checkCausalLMRequest(this.cfg, ids, options);
    const tokens = new TokenRows(ids, options.eos);
    const V = this.cfg.vocabSize;
    const len = ids.shape[1];
    const prefilled = await this.prefill.run(new Map([['input_ids', ids]]));
    let logits = prefilled.get('logits')!.data as Float32Array;
    let at = (i: number) => (i * len + len - 1) * V;
    // The caches in the step executable's memory (undefined until the first step uploads the prefill's).
    let past: Map<string, DeviceTensor> | undefined;
    try {
      for (let step = 0; step < options.maxNewTokens; step++) {
        const keep = tokens.push(logits, V, at);
        onStep?.({ step, tokens: tokens.last() });
        if (step === options.maxNewTokens - 1 || keep.length === 0) break;
        past = past === undefined ? this.uploadCaches(prefilled, keep) : this.keepRows(past, keep);
        const feed = new Map<string, RunValue>(past);
        feed.set('input_ids', tensor('i32', [keep.length, 1], Int32Array.from(tokens.active, (r) => tokens.rows[r].at(-1)!)));
        let out: Map<string, RunValue>;
        try {
          out = await this.stepExe.runResident(feed, this.presentNames);
        } finally {
          // This step's caches are spent either way.
          freeAll(past.values());
          past = undefined;
        }
        past = presentAsPast(out, this.cfg.numLayers);
        const l = out.get('logits')!;
        if (isDeviceTensor(l)) throw new Error('internal: logits were kept in the backend');
        logits = l.data as Float32Array;
        at = (i: number) => i * V;
      }
    } finally {
      if (past) freeAll(past.values());
    }
    return tokens.toTensor();
  }

  dispose(): void {
    this.prefill.dispose();
    this.stepExe.dispose();
  }
}

/**
 * The logits f32 [rows.length, len, vocab] of a prefix i32 [rows.length, len]: row i of the prefix
 * continues row rows[i] of the request (finished rows leave the batch).
 */
export type PrefixLogits = (prefix: Tensor<'i32'>, rows: readonly number[]) => Promise<Float32Array>;

/** Greedy decoding without a cache: `logitsOf` over the whole sequence per token; the ids first, then each step's argmax. */
export async function greedyPrefixDecode(
  limits: TokenLimits, logitsOf: PrefixLogits, ids: Tensor, options: CausalLMGenerateOptions, onStep?: (step: GeneratedStep) => void,
): Promise<Tensor<'i32'>> {
  checkCausalLMRequest(limits, ids, options);
  const tokens = new TokenRows(ids, options.eos);
  for (let step = 0; step < options.maxNewTokens && tokens.active.length > 0; step++) {
    const len = tokens.rows[0].length;
    const batch = tensor('i32', [tokens.active.length, len], Int32Array.from(tokens.active.flatMap((r) => tokens.rows[r])));
    const logits = await logitsOf(batch, tokens.active);
    if (logits.length !== tokens.active.length * len * limits.vocabSize) {
      throw new GenerationError(`generate: the model gave ${logits.length} logits for a prefix [${tokens.active.length}, ${len}], expected [${tokens.active.length}, ${len}, ${limits.vocabSize}]`);
    }
    tokens.push(logits, limits.vocabSize, (i) => (i * len + len - 1) * limits.vocabSize);
    onStep?.({ step, tokens: tokens.last() });
  }
  return tokens.toTensor();
}

/** Greedy decoding without the cache: the model graph (`buildCausalLM(cfg, 'model')`) over the whole sequence per token. */
export function greedyFullPrefix(cfg: CausalLMConfig, model: Executable, ids: Tensor, options: CausalLMGenerateOptions): Promise<Tensor<'i32'>> {
  return greedyPrefixDecode(cfg, async (batch) => (await model.run(new Map([['input_ids', batch]]))).get('logits')!.data as Float32Array, ids, options);
}
