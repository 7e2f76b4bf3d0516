// Test fixtures: small model files (config, random weights, inputs) written to a temp folder.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Graph, type Tensor, tensor } from '@smelt/ir';
import { writeSafetensors } from '@smelt/ir/node';
import { buildModel, type ModelConfig, seededRandom } from '@smelt/models';

export { seededRandom };

/** Random f32 weights for every parameter; LayerNorm weights near 1 so outputs stay well scaled. */
export function randomWeights(g: Graph, seed = 1): Map<string, Tensor> {
  const rand = seededRandom(seed);
  const out = new Map<string, Tensor>();
  for (const p of g.params) {
    const t = tensor('f32', p.type.shape as number[]);
    const norm = /norm\d?\.weight$/.test(p.name!);
    for (let i = 0; i < t.data.length; i++) (t.data as Float32Array)[i] = (norm ? 1 : 0) + (rand() - 0.5) * 0.4;
    out.set(p.name!, t);
  }
  return out;
}

export const SMALL_SEQ2SEQ = {
  model: 'seq2seq', dModel: 16, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 24,
  activation: 'relu', layerNormEps: 1e-5, normFirst: false, srcVocab: 9, tgtVocab: 10, maxLen: 16, bos: 1, maxDecode: 4,
} as const satisfies ModelConfig;

export interface ModelDir {
  readonly dir: string;
  readonly config: string;
  readonly weights: string;
  readonly inputs: string;
  file(name: string): string;
}

/** Write config, random weights and a small batch of inputs for `cfg` into a new temp folder. */
export function writeModelDir(cfg: ModelConfig = SMALL_SEQ2SEQ): ModelDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-test-'));
  const file = (name: string) => path.join(dir, name);
  fs.writeFileSync(file('config.json'), JSON.stringify(cfg));
  writeSafetensors(file('weights.safetensors'), randomWeights(buildModel(cfg), 3));
  const inputs = cfg.model === 'seq2seq'
    ? { src: tensor('i32', [2, 4], Int32Array.from([3, 4, 5, 6, 7, 8, 2, 1])), tgt: tensor('i32', [2, 3], Int32Array.from([1, 3, 4, 1, 5, 6])) }
    : { src: tensor('f32', [1, 3, cfg.dModel]), tgt: tensor('f32', [1, 2, cfg.dModel]) };
  writeSafetensors(file('inputs.safetensors'), inputs);
  return { dir, config: file('config.json'), weights: file('weights.safetensors'), inputs: file('inputs.safetensors'), file };
}
