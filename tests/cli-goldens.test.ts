// The PyTorch goldens (tests/goldens) reproduced through the CLI on every code-generating backend:
// `smelt run --backend B` matches the forward output to 1e-4 max abs error and, for seq2seq,
// `smelt generate --backend B` gives the greedy tokens exactly. Each backend runs in the builds a
// user can ask for (js with and without the pass pipeline; wasm plain and relaxed SIMD, one and two
// threads; webgpu, which needs an adapter: lavapipe in CI). The reference backend's run is in
// goldens.test.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import { type GoldenCase, goldenCases, maxAbsError } from './golden-util.ts';
import { describeWebGpu } from './webgpu-suite.ts';

async function cli(argv: string[]): Promise<void> {
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const code = await main(argv);
    expect(code, `smelt ${argv.join(' ')}: ${stderr}`).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
}

const cases = goldenCases();

function goldenTests(label: string, flags: readonly string[]): void {
  it('has the seven golden cases', () => expect(cases.length).toBeGreaterThanOrEqual(7));
  const run = (c: GoldenCase, command: string) => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-golden-')), 'out.safetensors');
    return { out, argv: [command, '--config', c.config, '--weights', c.weights, '--inputs', c.inputs, '--out', out, ...flags, '--quiet'] };
  };
  it.each(cases.map((c) => [c.name, c] as const))(`%s: smelt run ${label}`, { timeout: 120_000 }, async (_name, c) => {
    const key = c.model === 'torch-transformer' ? 'out' : 'logits';
    const { out, argv } = run(c, 'run');
    await cli(argv);
    expect(maxAbsError(c, readSafetensors(out).get(key)!, c.expected.get(key)!)).toBeLessThan(1e-4);
  });
  const seq2seq = cases.filter((c) => c.model === 'seq2seq');
  it.each(seq2seq.map((c) => [c.name, c] as const))(`%s: smelt generate ${label}`, { timeout: 120_000 }, async (_name, c) => {
    const { out, argv } = run(c, 'generate');
    await cli(argv);
    const want = c.expected.get('tokens')!;
    const got = readSafetensors(out).get('tokens')!;
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data as Int32Array)).toEqual(Array.from(want.data as Int32Array));
  });
}

const CPU_BUILDS: readonly (readonly string[])[] = [
  ['--backend', 'js'],
  ['--backend', 'js', '--no-optimize'],
  ['--backend', 'wasm', '--simd', 'plain'],
  ['--backend', 'wasm', '--simd', 'relaxed'],
  ['--backend', 'wasm', '--threads', '2'],
];

for (const flags of CPU_BUILDS) describe(`goldens: ${flags.join(' ')}`, () => goldenTests(flags.join(' '), flags));

describeWebGpu('goldens: --backend webgpu', () => goldenTests('--backend webgpu', ['--backend', 'webgpu']));
