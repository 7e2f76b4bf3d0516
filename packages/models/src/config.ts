// The model config JSON of docs/FORMATS.md, validated strictly: an unknown key, a
// missing key or a bad value is an error that names the key, what it must be and what it was.
// Sizes are bounded (LIMITS) so that every tensor a model holds stays addressable: typed-array
// lengths, and wasm's 32-bit byte addresses in a memory of at most 2 GiB.

import type { nn } from '@smelt/ir';

export interface TorchTransformerConfig extends nn.TransformerConfig {
  readonly model: 'torch-transformer';
}

export interface Seq2SeqConfig extends nn.TransformerConfig {
  readonly model: 'seq2seq';
  readonly srcVocab: number;
  readonly tgtVocab: number;
  readonly maxLen: number;
  readonly bos: number;
  readonly maxDecode: number;
  readonly eos?: number;
}

export type ModelConfig = TorchTransformerConfig | Seq2SeqConfig;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The largest value of each size key, and of the weight elements a model may hold in all. */
export const LIMITS = {
  dModel: 65536,
  dimFeedforward: 1 << 20,
  numEncoderLayers: 1024,
  numDecoderLayers: 1024,
  srcVocab: 1 << 24,
  tgtVocab: 1 << 24,
  /** The positional table's length, so the longest sequence. */
  maxLen: 65536,
  /**
   * Weight elements plus the positional table: 2^28 f32 values are 1 GiB. wasm keeps the weights and
   * their packed GEMM copies in one memory of at most 2 GiB addressed with 32-bit offsets.
   */
  weightElements: 2 ** 28,
} as const;

type Check = (v: unknown) => string | undefined;

const isInt = (v: unknown, lo: number, hi: number) => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
const positiveInt = (max: number): Check => (v) => (isInt(v, 1, max) ? undefined : `a positive integer at most ${max}`);
const nonNegativeInt = (max: number): Check => (v) => (isInt(v, 0, max) ? undefined : `a non-negative integer at most ${max}`);
const positiveNumber: Check = (v) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? undefined : 'a positive number');
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const oneOf = (...xs: string[]): Check => (v) => (xs.includes(v as string) ? undefined : `one of ${xs.map((x) => JSON.stringify(x)).join(', ')}`);

const CORE: Record<string, Check> = {
  model: oneOf('torch-transformer', 'seq2seq'),
  dModel: positiveInt(LIMITS.dModel),
  nHead: positiveInt(LIMITS.dModel),
  numEncoderLayers: nonNegativeInt(LIMITS.numEncoderLayers),
  numDecoderLayers: nonNegativeInt(LIMITS.numDecoderLayers),
  dimFeedforward: positiveInt(LIMITS.dimFeedforward),
  activation: oneOf('relu', 'gelu'),
  layerNormEps: positiveNumber,
  normFirst: boolean,
};

const SEQ2SEQ: Record<string, Check> = {
  srcVocab: positiveInt(LIMITS.srcVocab), tgtVocab: positiveInt(LIMITS.tgtVocab), maxLen: positiveInt(LIMITS.maxLen),
  bos: nonNegativeInt(LIMITS.tgtVocab), maxDecode: nonNegativeInt(LIMITS.maxLen),
};
const OPTIONAL: Record<string, Check> = { eos: nonNegativeInt(LIMITS.tgtVocab) };

// Own keys only throughout: `in` would also find Object.prototype's "constructor", "toString",
// "__proto__"…, letting such a key pass as known (and a missing key pass as present).
function checkKeys(raw: Record<string, unknown>, required: Record<string, Check>, optional: Record<string, Check>, file: string): void {
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(required, key) && !Object.hasOwn(optional, key)) {
      throw new ConfigError(`${file}: unknown config key ${JSON.stringify(key)} (expected one of ${[...Object.keys(required), ...Object.keys(optional)].join(', ')})`);
    }
  }
  for (const key of Object.keys(required)) {
    if (!Object.hasOwn(raw, key)) throw new ConfigError(`${file}: missing config key "${key}"`);
  }
  for (const [key, check] of Object.entries({ ...required, ...optional })) {
    if (!Object.hasOwn(raw, key)) continue;
    const want = check(raw[key]);
    if (want) throw new ConfigError(`${file}: config key "${key}" must be ${want}, got ${JSON.stringify(raw[key])}`);
  }
}

/** Validate a parsed config object; `file` names it in errors. */
export function parseConfig(raw: unknown, file = 'config'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: config must be a JSON object`);
  const obj = raw as Record<string, unknown>;
  const isSeq = obj.model === 'seq2seq';
  checkKeys(obj, isSeq ? { ...CORE, ...SEQ2SEQ } : CORE, isSeq ? OPTIONAL : {}, file);
  const cfg = obj as unknown as ModelConfig;
  if (cfg.dModel % cfg.nHead !== 0) throw new ConfigError(`${file}: dModel ${cfg.dModel} must be divisible by nHead ${cfg.nHead}`);
  if (cfg.model === 'seq2seq') {
    if (cfg.dModel % 2 !== 0) throw new ConfigError(`${file}: seq2seq needs an even dModel for the positional table, got ${cfg.dModel}`);
    if (cfg.bos >= cfg.tgtVocab) throw new ConfigError(`${file}: bos ${cfg.bos} must be < tgtVocab ${cfg.tgtVocab}`);
    if (cfg.eos !== undefined && cfg.eos >= cfg.tgtVocab) throw new ConfigError(`${file}: eos ${cfg.eos} must be < tgtVocab ${cfg.tgtVocab}`);
    if (cfg.maxDecode + 1 > cfg.maxLen) {
      throw new ConfigError(`${file}: maxDecode ${cfg.maxDecode} needs maxLen at least ${cfg.maxDecode + 1} (bos and ${cfg.maxDecode} decoded tokens, one position each), got maxLen ${cfg.maxLen}`);
    }
  }
  const elements = weightElements(cfg);
  if (elements > LIMITS.weightElements) {
    const keys = ['dModel', 'dimFeedforward', 'numEncoderLayers', 'numDecoderLayers', ...(cfg.model === 'seq2seq' ? ['srcVocab', 'tgtVocab', 'maxLen'] : [])];
    const given = keys.map((k) => `${k} ${(cfg as unknown as Record<string, number>)[k]}`).join(', ');
    throw new ConfigError(`${file}: ${given} make ${elements} weight elements (with the positional table), more than the ${LIMITS.weightElements} (1 GiB of f32) a model may hold`);
  }
  return cfg;
}

/** Elements of a multi-head attention's weights: packed in_proj [3d, d] + bias, out_proj [d, d] + bias. */
const attentionElements = (d: number) => 4 * d * d + 4 * d;

/**
 * Elements of every weight the config's model declares (models.ts), plus the positional table for
 * seq2seq: what the model holds in memory, computed from the config without building the graph.
 */
export function weightElements(cfg: ModelConfig): number {
  const d = cfg.dModel;
  const ff = 2 * d * cfg.dimFeedforward + cfg.dimFeedforward + d;
  const encoderLayer = attentionElements(d) + ff + 2 * 2 * d;
  const decoderLayer = 2 * attentionElements(d) + ff + 3 * 2 * d;
  const core = cfg.numEncoderLayers * encoderLayer + cfg.numDecoderLayers * decoderLayer + 2 * 2 * d;
  if (cfg.model !== 'seq2seq') return core;
  return core + cfg.srcVocab * d + cfg.tgtVocab * d + cfg.tgtVocab * d + cfg.tgtVocab + cfg.maxLen * d;
}
