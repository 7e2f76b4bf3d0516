// The model zoo's configs by name (docs/FORMATS.md: "gpt2", "bert", "llama"): for each, its config
// keys and cross-key rules, its graph, and the inputs `smelt run` reads. parseConfig (config.ts)
// hands these names here; buildModel and readInputs dispatch the same way.

import { type Graph, numel } from '@smelt/ir';
import { type BertConfig, BERT_KEYS, buildBert, checkBert } from './bert.ts';
import { type Check, ConfigError, LIMITS, checkKeys, oneOf } from './config-checks.ts';
import { buildCausalLMGraph, type CausalLMGraphName } from './causal-lm.ts';
import { GPT2_KEYS, Gpt2, type Gpt2Config, checkGpt2 } from './gpt2.ts';
import type { InputRule } from './io.ts';
import { LLAMA_KEYS, Llama, type LlamaConfig, checkLlama } from './llama.ts';
import type { MaskInputs } from './models.ts';

export type ZooConfig = Gpt2Config | BertConfig | LlamaConfig;
export type ZooModelName = ZooConfig['model'];

interface ZooModel<C extends ZooConfig> {
  readonly keys: Record<string, Check>;
  check(cfg: C, file: string): void;
  /** The forward graph (`smelt run`), taking the optional inputs that are present. */
  build(cfg: C, inputs: MaskInputs): Graph;
  /** What `smelt run` reads: dtypes as in safetensors, dims by name. */
  readonly inputs: Record<string, InputRule>;
}

const IDS = ['I32', 'I64'];
const ids = (required: boolean): InputRule => ({ dtypes: IDS, shape: ['batch', 'seq'], required });

const ZOO: { readonly [K in ZooModelName]: ZooModel<Extract<ZooConfig, { model: K }>> } = {
  gpt2: { keys: GPT2_KEYS, check: checkGpt2, build: (cfg) => buildGpt2(cfg), inputs: { input_ids: ids(true) } },
  bert: {
    keys: BERT_KEYS, check: checkBert, build: (cfg, m) => buildBert(cfg, m),
    inputs: { input_ids: ids(true), attention_mask: { dtypes: ['BOOL', 'U8'], shape: ['batch', 'seq'], required: false }, token_type_ids: ids(false) },
  },
  llama: { keys: LLAMA_KEYS, check: checkLlama, build: (cfg) => buildLlama(cfg), inputs: { input_ids: ids(true) } },
};

export const ZOO_MODELS = Object.keys(ZOO) as ZooModelName[];

export function isZooModel(name: unknown): name is ZooModelName {
  return typeof name === 'string' && Object.hasOwn(ZOO, name);
}

export function isZooConfig(cfg: { readonly model: string }): cfg is ZooConfig {
  return isZooModel(cfg.model);
}

function zooModel<C extends ZooConfig>(cfg: C): ZooModel<C> {
  return ZOO[cfg.model] as unknown as ZooModel<C>;
}

/** The zoo's decoder-only language models: what cached generation runs. */
export type CausalLMConfig = Gpt2Config | LlamaConfig;

export function isCausalLMConfig(cfg: { readonly model: string }): cfg is CausalLMConfig {
  return cfg.model === 'gpt2' || cfg.model === 'llama';
}

/** GPT-2's graphs: the forward pass, and cached generation's prefill and step. */
export function buildGpt2(cfg: Gpt2Config, which: CausalLMGraphName = 'model'): Graph {
  return buildCausalLMGraph('gpt2', which, (b) => new Gpt2(b, cfg));
}

/** Llama's graphs: the forward pass, and cached generation's prefill and step. */
export function buildLlama(cfg: LlamaConfig, which: CausalLMGraphName = 'model'): Graph {
  return buildCausalLMGraph('llama', which, (b) => new Llama(b, cfg));
}

/** A causal LM's graph by name (causal-lm.ts). */
export function buildCausalLM(cfg: CausalLMConfig, which: CausalLMGraphName = 'model'): Graph {
  switch (cfg.model) {
    case 'gpt2': return buildGpt2(cfg, which);
    case 'llama': return buildLlama(cfg, which);
    default: return cfg satisfies never;
  }
}

/** Validate a zoo config (its `model` is one of ZOO_MODELS); `file` names it in errors. */
export function parseZooConfig(raw: Record<string, unknown>, file: string): ZooConfig {
  const name = raw.model as ZooModelName;
  const model = ZOO[name];
  checkKeys(raw, { model: oneOf(...ZOO_MODELS), ...model.keys }, {}, file);
  const cfg = raw as unknown as ZooConfig;
  zooModel(cfg).check(cfg, file);
  const elements = zooWeightElements(cfg);
  if (elements > LIMITS.weightElements) {
    throw new ConfigError(`${file}: this ${name} config makes ${elements} weight elements, more than the ${LIMITS.weightElements} (1 GiB of f32) a model may hold`);
  }
  return cfg;
}

/** Elements of every weight the model declares, counted on its graph (which holds no data). */
export function zooWeightElements(cfg: ZooConfig): number {
  return zooModel(cfg).build(cfg, {}).params.reduce((n, p) => n + numel(p.type.shape as number[]), 0);
}

export function buildZooModel(cfg: ZooConfig, inputs: MaskInputs = {}): Graph {
  return zooModel(cfg).build(cfg, inputs);
}

export function zooInputRules(cfg: ZooConfig): Record<string, InputRule> {
  return zooModel(cfg).inputs;
}
