// The smelt command line: the spec's run/generate contract on the reference backend, --help,
// and every bad-input case ending in a clear message, a non-zero exit and no output file.

import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tensor } from '@smelt/ir';
import { readSafetensors, writeSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import { SMALL_SEQ2SEQ, writeModelDir } from './fixtures.ts';

interface CliResult { code: number; stdout: string; stderr: string }

async function smelt(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

function runArgs(m: ReturnType<typeof writeModelDir>, command = 'run', extra: string[] = []): string[] {
  return [command, '--config', m.config, '--weights', m.weights, '--inputs', m.inputs, '--out', m.file('out.safetensors'), '--backend', 'reference', ...extra];
}

describe('smelt run / generate', () => {
  it('runs seq2seq and writes logits', async () => {
    const m = writeModelDir();
    const r = await smelt(...runArgs(m));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote logits f32[2, 3, 10]');
    const out = readSafetensors(m.file('out.safetensors'));
    expect(out.get('logits')!.shape).toEqual([2, 3, 10]);
  });

  it('--optimize gives the same logits to 1e-5', async () => {
    const m = writeModelDir();
    await smelt(...runArgs(m));
    const plain = readSafetensors(m.file('out.safetensors')).get('logits')!.data as Float32Array;
    await smelt(...runArgs(m, 'run', ['--optimize']));
    const fused = readSafetensors(m.file('out.safetensors')).get('logits')!.data as Float32Array;
    const err = Math.max(...plain.map((x, i) => Math.abs(x - fused[i])));
    expect(err).toBeLessThan(1e-5);
  });

  it('generates bos + maxDecode tokens; each half gets only the weights it reads (--strict)', async () => {
    const m = writeModelDir();
    const r = await smelt(...runArgs(m, 'generate', ['--strict']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tokens = readSafetensors(m.file('out.safetensors')).get('tokens')!;
    expect(tokens.dtype).toBe('i32');
    expect(tokens.shape).toEqual([2, 1 + SMALL_SEQ2SEQ.maxDecode]);
    expect(tokens.data[0]).toBe(SMALL_SEQ2SEQ.bos);
  });

  it('prints help for every command', async () => {
    for (const cmd of ['run', 'generate', 'inspect']) {
      const r = await smelt(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: smelt ${cmd}`));
      expect(r.stdout).toContain('--config');
    }
    expect((await smelt('--help')).stdout).toContain('commands:');
  });
});

describe('bad input: clear error, non-zero exit, nothing written', () => {
  const cases: [string, (m: ReturnType<typeof writeModelDir>) => string[], RegExp][] = [
    ['unknown config key', (m) => { fs.writeFileSync(m.config, JSON.stringify({ ...SMALL_SEQ2SEQ, dmodel: 3 })); return runArgs(m); },
      /config\.json: unknown config key "dmodel"/],
    ['bad config value', (m) => { fs.writeFileSync(m.config, JSON.stringify({ ...SMALL_SEQ2SEQ, activation: 'swish' })); return runArgs(m); },
      /config key "activation" must be one of "relu", "gelu", got "swish"/],
    ['dModel not divisible by nHead', (m) => { fs.writeFileSync(m.config, JSON.stringify({ ...SMALL_SEQ2SEQ, nHead: 3 })); return runArgs(m); },
      /dModel 16 must be divisible by nHead 3/],
    ['missing weight', (m) => {
      const w = readSafetensors(m.weights); w.delete('generator.bias'); writeSafetensors(m.weights, w); return runArgs(m);
    }, /missing weight "generator\.bias" \(expected f32 \[10\]\)/],
    ['misshaped weight', (m) => {
      const w = readSafetensors(m.weights); w.set('generator.bias', tensor('f32', [11])); writeSafetensors(m.weights, w); return runArgs(m);
    }, /weight "generator\.bias" has shape \[11\], expected \[10\]/],
    ['unexpected weight', (m) => {
      const w = readSafetensors(m.weights); w.set('extra.weight', tensor('f32', [1])); writeSafetensors(m.weights, w); return runArgs(m);
    }, /unexpected weight "extra\.weight"/],
    ['missing input', (m) => { writeSafetensors(m.inputs, { src: tensor('i32', [1, 2]) }); return runArgs(m); },
      /missing input "tgt" \(expected I32 or I64 \[batch, tgtLen\]\)/],
    ['misshaped input', (m) => { writeSafetensors(m.inputs, { src: tensor('i32', [2, 4]), tgt: tensor('i32', [3, 2]) }); return runArgs(m); },
      /input "tgt" has shape \[3, 2\], expected \[2, tgtLen\]/],
    ['wrong input dtype', (m) => { writeSafetensors(m.inputs, { src: tensor('f32', [2, 4]), tgt: tensor('i32', [2, 2]) }); return runArgs(m); },
      /input "src" must be I32 or I64, got F32/],
    ['token id out of range', (m) => { writeSafetensors(m.inputs, { src: tensor('i32', [1, 2], Int32Array.from([3, 99])), tgt: tensor('i32', [1, 1]) }); return runArgs(m); },
      /input "src": value 99 at \[0, 1\] is out of range \[0, 9\): it indexes a table of shape \[9, 16\]/],
    ['truncated weights file', (m) => { fs.truncateSync(m.weights, 100); return runArgs(m); }, /weights\.safetensors/],
    ['missing file', (m) => { fs.rmSync(m.inputs); return runArgs(m); }, /cannot read .*inputs\.safetensors: no such file/],
    ['--threads on a backend without threads', (m) => [...runArgs(m), '--threads', '2'], /--threads applies to the wasm backend, not "reference"/],
    ['bad --threads', (m) => [...runArgs(m).map((a) => (a === 'reference' ? 'wasm' : a)), '--threads', 'two'], /--threads must be a positive integer, got "two"/],
    ['bad --simd', (m) => [...runArgs(m).map((a) => (a === 'reference' ? 'wasm' : a)), '--simd', 'avx'], /--simd must be auto, plain or relaxed, got "avx"/],
    ['--optimize with --no-optimize', (m) => [...runArgs(m), '--optimize', '--no-optimize'], /contradict/],
    ['unknown backend', (m) => runArgs(m).map((a) => (a === 'reference' ? 'cuda' : a)), /unknown backend "cuda"/],
    ['generate on torch-transformer', (m) => {
      fs.writeFileSync(m.config, JSON.stringify({ ...SMALL_SEQ2SEQ, model: 'torch-transformer', srcVocab: undefined, tgtVocab: undefined, maxLen: undefined, bos: undefined, maxDecode: undefined }));
      return runArgs(m, 'generate');
    }, /generate needs a "seq2seq" or decoder-only \(gpt2, llama\) config/],
    ['unknown option', (m) => [...runArgs(m), '--fast'], /unknown option --fast/],
  ];

  it.each(cases)('%s', async (_name, setup, message) => {
    const m = writeModelDir();
    const args = setup(m);
    const r = await smelt(...args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(m.file('out.safetensors'))).toBe(false);
  });
});
