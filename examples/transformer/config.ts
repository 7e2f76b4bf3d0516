// The model config JSON of docs/FORMATS.md, validated strictly: an unknown key, a
// missing key or a bad value is an error that names the key, what it must be and what it was.

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

type Check = (v: unknown) => string | undefined;

const positiveInt: Check = (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'a positive integer');
const nonNegativeInt: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'a non-negative integer');
const positiveNumber: Check = (v) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? undefined : 'a positive number');
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const oneOf = (...xs: string[]): Check => (v) => (xs.includes(v as string) ? undefined : `one of ${xs.map((x) => JSON.stringify(x)).join(', ')}`);

const CORE: Record<string, Check> = {
  model: oneOf('torch-transformer', 'seq2seq'),
  dModel: positiveInt,
  nHead: positiveInt,
  numEncoderLayers: nonNegativeInt,
  numDecoderLayers: nonNegativeInt,
  dimFeedforward: positiveInt,
  activation: oneOf('relu', 'gelu'),
  layerNormEps: positiveNumber,
  normFirst: boolean,
};

const SEQ2SEQ: Record<string, Check> = {
  srcVocab: positiveInt, tgtVocab: positiveInt, maxLen: positiveInt, bos: nonNegativeInt, maxDecode: nonNegativeInt,
};
const OPTIONAL: Record<string, Check> = { eos: nonNegativeInt };

function checkKeys(raw: Record<string, unknown>, required: Record<string, Check>, optional: Record<string, Check>, file: string): void {
  for (const key of Object.keys(raw)) {
    if (!(key in required) && !(key in optional)) {
      throw new ConfigError(`${file}: unknown config key "${key}" (expected one of ${[...Object.keys(required), ...Object.keys(optional)].join(', ')})`);
    }
  }
  for (const [key, check] of Object.entries(required)) {
    if (!(key in raw)) throw new ConfigError(`${file}: missing config key "${key}"`);
  }
  for (const [key, check] of Object.entries({ ...required, ...optional })) {
    if (!(key in raw)) continue;
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
  }
  return cfg;
}
