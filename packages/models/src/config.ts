// The model config JSON of docs/FORMATS.md, validated strictly: an unknown key, a
// missing key or a bad value is an error that names the key, what it must be and what it was.
// Sizes are bounded (LIMITS) so that every tensor a model holds stays addressable: typed-array
// lengths, and wasm's 32-bit byte addresses in a memory of at most 2 GiB.

import type { nn } from '@smelt/ir';
import { type Check, ConfigError, LIMITS, boolean, checkHeads, checkKeys, nonNegativeInt, oneOf, positiveInt, positiveNumber } from './config-checks.ts';

export { ConfigError, LIMITS } from './config-checks.ts';
import { ZOO_MODELS, type ZooConfig, isZooConfig, isZooModel, parseZooConfig, zooWeightElements } from './zoo.ts';

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

/** Every model a config may name: the Transformer models here, and the zoo's (zoo.ts). */
export type ModelConfig = TorchTransformerConfig | Seq2SeqConfig | ZooConfig;
export type TransformerModelConfig = TorchTransformerConfig | Seq2SeqConfig;

const CORE: Record<string, Check> = {
  model: oneOf('torch-transformer', 'seq2seq', ...ZOO_MODELS),
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

/** Validate a parsed config object; `file` names it in errors. */
export function parseConfig(raw: unknown, file = 'config'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: config must be a JSON object`);
  const obj = raw as Record<string, unknown>;
  if (isZooModel(obj.model)) return parseZooConfig(obj, file);
  // The model decides the other keys: a model name that is none of them is the first thing to say.
  const model = CORE.model(obj.model);
  if (Object.hasOwn(obj, 'model') && model) throw new ConfigError(`${file}: config key "model" must be ${model}, got ${JSON.stringify(obj.model)}`);
  const isSeq = obj.model === 'seq2seq';
  checkKeys(obj, isSeq ? { ...CORE, ...SEQ2SEQ } : CORE, isSeq ? OPTIONAL : {}, file);
  const cfg = obj as unknown as TransformerModelConfig;
  checkHeads(file, cfg.dModel, cfg.nHead);
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
  if (isZooConfig(cfg)) return zooWeightElements(cfg);
  const d = cfg.dModel;
  const ff = 2 * d * cfg.dimFeedforward + cfg.dimFeedforward + d;
  const encoderLayer = attentionElements(d) + ff + 2 * 2 * d;
  const decoderLayer = 2 * attentionElements(d) + ff + 3 * 2 * d;
  const core = cfg.numEncoderLayers * encoderLayer + cfg.numDecoderLayers * decoderLayer + 2 * 2 * d;
  if (cfg.model !== 'seq2seq') return core;
  return core + cfg.srcVocab * d + cfg.tgtVocab * d + cfg.tgtVocab * d + cfg.tgtVocab + cfg.maxLen * d;
}
