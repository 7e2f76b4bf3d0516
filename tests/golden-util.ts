// Reading the PyTorch golden cases (tests/goldens/<case>/) and comparing outputs to them.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@smelt/ir';
import type { ModelConfig } from '@smelt/models';
import { readSafetensors } from '@smelt/ir/node';

export const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'goldens');

export interface GoldenCase {
  readonly name: string;
  readonly dir: string;
  readonly model: ModelConfig['model'];
  readonly config: string;
  readonly weights: string;
  readonly inputs: string;
  readonly expected: Map<string, Tensor>;
}

export function goldenCases(): GoldenCase[] {
  if (!fs.existsSync(GOLDEN_DIR)) return [];
  return fs.readdirSync(GOLDEN_DIR).filter((d) => fs.existsSync(path.join(GOLDEN_DIR, d, 'config.json'))).sort().map((name) => {
    const dir = path.join(GOLDEN_DIR, name);
    const config = path.join(dir, 'config.json');
    return {
      name, dir, config,
      model: JSON.parse(fs.readFileSync(config, 'utf8')).model,
      weights: path.join(dir, 'weights.safetensors'),
      inputs: path.join(dir, 'inputs.safetensors'),
      expected: readSafetensors(path.join(dir, 'expected.safetensors')),
    };
  });
}

/** Rows [batch, len] that are padding in the case's tgt_key_padding_mask (not compared, per the spec). */
function paddedTargetRows(c: GoldenCase): Set<number> {
  const inputs = readSafetensors(c.inputs);
  const mask = inputs.get('tgt_key_padding_mask');
  const rows = new Set<number>();
  if (mask) mask.data.forEach((v, i) => { if (Number(v) !== 0) rows.add(i); });
  return rows;
}

/** Max abs difference between two f32 tensors of one shape, skipping padded target rows. */
export function maxAbsError(c: GoldenCase, got: Tensor, want: Tensor): number {
  expectSameShape(got, want);
  const width = want.shape[want.shape.length - 1];
  const skip = paddedTargetRows(c);
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  let err = 0;
  for (let i = 0; i < w.length; i++) {
    if (skip.has(Math.floor(i / width))) continue;
    const d = Math.abs(g[i] - w[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  return err;
}

function expectSameShape(got: Tensor, want: Tensor): void {
  if (got.shape.join() !== want.shape.join()) throw new Error(`shape [${got.shape}] differs from golden [${want.shape}]`);
}
