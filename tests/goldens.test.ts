// The PyTorch goldens (scripts/make_goldens.py) reproduced through the CLI on the reference
// backend, on the raw graph and on the optimized graph (--optimize), to 1e-4 max abs error.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import { type GoldenCase, goldenCases, maxAbsError } from './golden-util.ts';

const cases = goldenCases();

async function cli(argv: string[]): Promise<number> {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return await main(argv);
  } finally {
    vi.restoreAllMocks();
  }
}

describe('PyTorch goldens', () => {
  it('exist (scripts/make_goldens.py wrote them)', () => {
    expect(cases.map((c) => c.name).length).toBeGreaterThanOrEqual(7);
  });

  const files = (c: GoldenCase) => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-golden-')), 'out.safetensors');
    return { out, args: ['--config', c.config, '--weights', c.weights, '--inputs', c.inputs, '--out', out, '--backend', 'reference'] };
  };

  describe.each(cases.map((c) => [c.name, c] as const))('%s: smelt run', (_name, c) => {
    const key = c.model === 'torch-transformer' ? 'out' : 'logits';
    it.each([[false], [true]])(`matches ${key} to 1e-4 (optimize: %s)`, async (optimize) => {
      const { out, args } = files(c);
      expect(await cli(['run', ...args, ...(optimize ? ['--optimize'] : [])])).toBe(0);
      const got = readSafetensors(out).get(key)!;
      expect(maxAbsError(c, got, c.expected.get(key)!)).toBeLessThan(1e-4);
    });
  });

  describe.each(cases.filter((c) => c.model === 'seq2seq').map((c) => [c.name, c] as const))('%s: smelt generate', (_name, c) => {
    it.each([[false], [true]])('matches the greedy tokens (optimize: %s)', async (optimize) => {
      const { out, args } = files(c);
      expect(await cli(['generate', ...args, ...(optimize ? ['--optimize'] : [])])).toBe(0);
      const got = readSafetensors(out).get('tokens')!;
      const want = c.expected.get('tokens')!;
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data as Int32Array)).toEqual(Array.from(want.data as Int32Array));
    });
  });
});
