// Loading the files of `smelt run` / `smelt generate`: the config, the weights and the inputs,
// each checked against what the model declares. Every problem is a ModelIOError naming the
// file, the tensor, and expected vs actual; nothing is written when one is thrown.

import fs from 'node:fs';
import path from 'node:path';
import { type Graph, type SafetensorsEntry, type Tensor, castTensor, entryToTensor, formatDims } from '@smelt/ir';
import { readSafetensorsEntries } from '@smelt/ir/node';
import { type ModelConfig, parseConfig } from './config.ts';
import type { MaskInputs } from './models.ts';
import { isZooConfig, zooInputRules } from './zoo.ts';

export class ModelIOError extends Error {
  override name = 'ModelIOError';
}

export function readConfig(file: string): ModelConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelIOError(`cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    // A UTF-8 byte-order mark (some editors write one) is not part of the JSON text.
    raw = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (e) {
    throw new ModelIOError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, path.basename(file));
}

function readEntries(file: string): Map<string, SafetensorsEntry> {
  if (!fs.existsSync(file)) throw new ModelIOError(`cannot read ${file}: no such file`);
  return readSafetensorsEntries(file).entries;
}

/** Weights for every parameter of the graphs, shape-checked, converted to f32. */
export function readWeights(file: string, graphs: readonly Graph[]): Map<string, Tensor> {
  const entries = readEntries(file);
  const base = path.basename(file);
  const params = new Map(graphs.flatMap((g) => g.params.map((p) => [p.name!, p] as const)));
  const weights = new Map<string, Tensor>();
  for (const [name, p] of params) {
    const e = entries.get(name);
    const want = formatDims(p.type.shape);
    if (!e) throw new ModelIOError(`${base}: missing weight "${name}" (expected f32 ${want})`);
    if (!['F32', 'F16', 'BF16'].includes(e.dtype)) throw new ModelIOError(`${base}: weight "${name}" must be F32, F16 or BF16, got ${e.dtype}`);
    if (formatDims(e.shape) !== want) throw new ModelIOError(`${base}: weight "${name}" has shape ${formatDims(e.shape)}, expected ${want}`);
    const t = entryToTensor(e);
    weights.set(name, t.dtype === 'f32' ? t : castTensor(t, 'f32'));
  }
  for (const name of entries.keys()) {
    if (!params.has(name)) throw new ModelIOError(`${base}: unexpected weight "${name}": this model has no such parameter`);
  }
  return weights;
}

/** The weights `graph` declares, out of a larger set (each half of seq2seq reads a subset of the model's). */
export function weightsFor(graph: Graph, weights: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  return new Map(graph.params.flatMap((p) => (weights.has(p.name!) ? [[p.name!, weights.get(p.name!)!] as const] : [])));
}

export interface InputRule {
  readonly dtypes: readonly string[];
  /** Expected shape, dims by name: numbers are exact, strings bind across inputs. */
  readonly shape: readonly (number | string)[];
  readonly required: boolean;
}

function inputRules(cfg: ModelConfig): Record<string, InputRule> {
  if (isZooConfig(cfg)) return zooInputRules(cfg);
  const ids = ['I32', 'I64'];
  const mask = ['BOOL', 'U8'];
  if (cfg.model === 'seq2seq') {
    return {
      src: { dtypes: ids, shape: ['batch', 'srcLen'], required: true },
      tgt: { dtypes: ids, shape: ['batch', 'tgtLen'], required: true },
      src_key_padding_mask: { dtypes: mask, shape: ['batch', 'srcLen'], required: false },
    };
  }
  return {
    src: { dtypes: ['F32'], shape: ['batch', 'srcLen', cfg.dModel], required: true },
    tgt: { dtypes: ['F32'], shape: ['batch', 'tgtLen', cfg.dModel], required: true },
    src_key_padding_mask: { dtypes: mask, shape: ['batch', 'srcLen'], required: false },
    tgt_key_padding_mask: { dtypes: mask, shape: ['batch', 'tgtLen'], required: false },
  };
}

export interface ModelInputs {
  readonly tensors: Map<string, Tensor>;
  readonly masks: MaskInputs;
}

/** Convert a loaded input to the graph's dtype: ids to i32 (range-checked), masks to bool. */
function toGraphDType(name: string, t: Tensor, base: string): Tensor {
  if (t.dtype === 'i64') {
    const d = t.data as BigInt64Array;
    for (let i = 0; i < d.length; i++) {
      if (d[i] < -2147483648n || d[i] > 2147483647n) throw new ModelIOError(`${base}: input "${name}" value ${d[i]} at ${i} does not fit in i32`);
    }
    return castTensor(t, 'i32');
  }
  if (t.dtype === 'u8') return castTensor(t, 'bool');
  return t;
}

/** Inputs for `run` (or `generate` with ignore = ['tgt', ...]), checked against the model's rules. */
export function readInputs(file: string, cfg: ModelConfig, ignore: readonly string[] = []): ModelInputs {
  const entries = readEntries(file);
  const base = path.basename(file);
  const rules = inputRules(cfg);
  for (const name of entries.keys()) {
    if (!(name in rules) && !ignore.includes(name)) throw new ModelIOError(`${base}: unexpected input "${name}" (expected ${Object.keys(rules).join(', ')})`);
  }
  const dims = new Map<string, number>();
  const tensors = new Map<string, Tensor>();
  for (const [name, rule] of Object.entries(rules)) {
    if (ignore.includes(name)) continue;
    const e = entries.get(name);
    if (!e) {
      if (rule.required) throw new ModelIOError(`${base}: missing input "${name}" (expected ${rule.dtypes.join(' or ')} ${formatDims(rule.shape)})`);
      continue;
    }
    if (!rule.dtypes.includes(e.dtype)) throw new ModelIOError(`${base}: input "${name}" must be ${rule.dtypes.join(' or ')}, got ${e.dtype}`);
    checkShape(base, name, rule.shape, e.shape, dims);
    tensors.set(name, toGraphDType(name, entryToTensor(e), base));
  }
  const masks = {
    srcPadding: tensors.has('src_key_padding_mask'), tgtPadding: tensors.has('tgt_key_padding_mask'),
    attentionMask: tensors.has('attention_mask'), tokenTypeIds: tensors.has('token_type_ids'),
  };
  return { tensors, masks };
}

function checkShape(base: string, name: string, want: readonly (number | string)[], got: readonly number[], dims: Map<string, number>): void {
  const expected = want.map((d) => (typeof d === 'string' && dims.has(d) ? dims.get(d)! : d));
  const bad = () => new ModelIOError(`${base}: input "${name}" has shape ${formatDims(got)}, expected ${formatDims(expected)}`);
  if (want.length !== got.length) throw bad();
  want.forEach((d, i) => {
    if (typeof d === 'number' ? d !== got[i] : (dims.get(d) ?? got[i]) !== got[i]) throw bad();
    if (typeof d === 'string') dims.set(d, got[i]);
  });
  if (got.some((d) => d === 0)) throw new ModelIOError(`${base}: input "${name}" has an empty dim: ${formatDims(got)}`);
}
