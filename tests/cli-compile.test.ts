// `smelt compile`: the ahead-of-time export from the command line. For the js and wasm targets the
// written folder, copied outside the repository, runs in a fresh Node process with no smelt package
// resolvable and gives the logits `smelt run --backend reference` writes; bad flags fail with a
// message and leave --out untouched. (The webgpu target's folder is run in webgpu-aot.test.ts.)
// `--weights-dtype int8` exports a smaller wasm image that gives `smelt run --weights-dtype int8`'s logits.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { readSafetensors, writeSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import { CACHE_NAMES, buildSeq2SeqStep } from '@smelt/models';
import { SMALL_SEQ2SEQ, seededRandom, writeModelDir } from './fixtures.ts';

async function smelt(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

/** Load DIR/model.js in a fresh node (cwd outside the repo, no NODE_PATH), run the inputs file, print logits. */
function runExported(dir: string, inputsFile: string, target: 'js' | 'wasm'): number[] {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-cli-aot-'));
  for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
  const inputs = readSafetensors(inputsFile);
  const json = JSON.stringify(Object.fromEntries([...inputs].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Int32Array) }])));
  fs.writeFileSync(path.join(copy, 'inputs.json'), json);
  const script = `
    import fs from 'node:fs';
    import { load } from './model.js';
    const model = await load();
    const arrays = { i32: Int32Array, bool: Uint8Array, f32: Float32Array };
    const raw = JSON.parse(fs.readFileSync('inputs.json', 'utf8'));
    const inputs = Object.fromEntries(Object.entries(raw).map(([k, t]) => [k, { ...t, data: arrays[t.dtype].from(t.data) }]));
    let smelt = 'not resolvable';
    try { await import('@smelt/ir'); smelt = 'resolvable'; } catch {}
    const out = await model.run(inputs);
    process.stdout.write(JSON.stringify({ smelt, logits: Array.from(out.logits.data) }));`;
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  const got = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: copy, env, encoding: 'utf8' }));
  expect(got.smelt, `${target}: smelt must not be resolvable from the exported folder`).toBe('not resolvable');
  return got.logits;
}

describe('smelt compile', () => {
  it.each(['js', 'wasm'] as const)('--target %s writes a folder that runs without smelt and matches `smelt run`', async (target) => {
    const m = writeModelDir();
    const ref = await smelt('run', '--config', m.config, '--weights', m.weights, '--inputs', m.inputs, '--out', m.file('ref.safetensors'), '--backend', 'reference', '--quiet');
    expect(ref.code).toBe(0);
    const want = readSafetensors(m.file('ref.safetensors')).get('logits')!.data as Float32Array;

    const out = m.file(`aot-${target}`);
    const r = await smelt('compile', '--config', m.config, '--weights', m.weights, '--target', target, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`for ${target}: wrote `);
    expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['model.js', 'model.d.ts']));
    expect(fs.readdirSync(m.dir).filter((f) => f.includes('.smelt-'))).toEqual([]);

    const got = runExported(out, m.inputs, target);
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]))));
  });

  it.each(['js', 'wasm'] as const)('--target %s --graph step exports cached decoding\'s step (computed dims past + 1) that runs without smelt', async (target) => {
    const m = writeModelDir();
    const cfg = SMALL_SEQ2SEQ;
    const rand = seededRandom(5);
    const f32 = (shape: number[]) => tensor('f32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() - 0.5));
    const hd = cfg.dModel / cfg.nHead;
    const inputs = new Map<string, Tensor>([['tgt', tensor('i32', [2, 1], Int32Array.of(3, 7))]]);
    for (let i = 0; i < cfg.numDecoderLayers; i++) {
      for (const n of [CACHE_NAMES.cross(i).k, CACHE_NAMES.cross(i).v]) inputs.set(n, f32([2, cfg.nHead, 4, hd]));
      for (const n of [CACHE_NAMES.past(i).k, CACHE_NAMES.past(i).v]) inputs.set(n, f32([2, cfg.nHead, 3, hd]));
    }
    writeSafetensors(m.file('step-inputs.safetensors'), inputs);
    const want = interpret(buildSeq2SeqStep(cfg), inputs, readSafetensors(m.weights)).get('logits')!.data as Float32Array;
    const out = m.file(`aot-step-${target}`);
    const r = await smelt('compile', '--config', m.config, '--weights', m.weights, '--target', target, '--graph', 'step', '--out', out, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = runExported(out, m.file('step-inputs.safetensors'), target);
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]))));
  });

  it('--target webgpu writes shaders, host code and weights without needing an adapter, and sums the shaders up', async () => {
    const m = writeModelDir();
    const out = m.file('aot-webgpu');
    const r = await smelt('compile', '--config', m.config, '--weights', m.weights, '--target', 'webgpu', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shaders = fs.readdirSync(out).filter((f) => f.endsWith('.wgsl'));
    expect(shaders.length).toBeGreaterThan(3);
    expect(r.stdout).toContain(`wrote ${shaders.length} wgsl files (kernel-`);
    expect(r.stdout).toContain('model.d.ts, model.js, package.json, weights.bin');
  });

  it('without --weights bakes in a seeded init and says so; the same seed gives the same bytes', async () => {
    const m = writeModelDir();
    const a = await smelt('compile', '--config', m.config, '--target', 'js', '--out', m.file('a'), '--seed', '3');
    await smelt('compile', '--config', m.config, '--target', 'js', '--out', m.file('b'), '--seed', '3', '--quiet');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('seeded random init (seed 3');
    expect(fs.readFileSync(m.file('a/weights.safetensors'))).toEqual(fs.readFileSync(m.file('b/weights.safetensors')));
  });

  it('exports the encoder and decoder halves of seq2seq', async () => {
    const m = writeModelDir();
    for (const graph of ['encoder', 'decoder']) {
      const r = await smelt('compile', '--config', m.config, '--weights', m.weights, '--target', 'js', '--out', m.file(graph), '--graph', graph, '--mask', 'src');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`seq2seq (${graph})`);
      expect(fs.readFileSync(m.file(`${graph}/model.d.ts`), 'utf8')).toContain('"src_key_padding_mask"');
    }
  });

  it('replaces a previous export whole: no stale files of another target', async () => {
    const m = writeModelDir();
    const out = m.file('out');
    expect((await smelt('compile', '--config', m.config, '--target', 'wasm', '--out', out, '--quiet')).code).toBe(0);
    expect(fs.readdirSync(out)).toContain('model.wasm');
    expect((await smelt('compile', '--config', m.config, '--target', 'js', '--out', out, '--quiet')).code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['model.d.ts', 'model.js', 'package.json', 'weights.safetensors']);
    expect(fs.readdirSync(m.dir).filter((f) => f.includes('.smelt-'))).toEqual([]);
  });

  it('refuses to replace a folder that holds files but is not an export', async () => {
    const m = writeModelDir();
    const r = await smelt('compile', '--config', m.config, '--target', 'js', '--out', m.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds files but no model.js, so it is not an export smelt may replace');
    expect(fs.existsSync(m.config)).toBe(true);
  });

  const bad: [string, (m: ReturnType<typeof writeModelDir>) => string[], RegExp][] = [
    ['unknown target', (m) => ['--config', m.config, '--target', 'cuda', '--out', m.file('o')], /--target must be one of js, wasm, webgpu, onnx, got "cuda"/],
    ['missing target', (m) => ['--config', m.config, '--out', m.file('o')], /missing required option --target/],
    ['bad graph', (m) => ['--config', m.config, '--target', 'js', '--out', m.file('o'), '--graph', 'both'], /--graph must be one of model, encoder, decoder/],
    ['bad mask', (m) => ['--config', m.config, '--target', 'js', '--out', m.file('o'), '--mask', 'memory'], /--mask must be one of src, tgt/],
    ['bad seed', (m) => ['--config', m.config, '--target', 'js', '--out', m.file('o'), '--seed', '-1'], /--seed must be a non-negative integer/],
    ['seed with weights', (m) => ['--config', m.config, '--weights', m.weights, '--target', 'js', '--out', m.file('o'), '--seed', '1'], /--seed only applies without --weights/],
    ['out is a file', (m) => ['--config', m.config, '--target', 'js', '--out', m.inputs], /exists and is not a folder/],
    ['bad weights dtype', (m) => ['--config', m.config, '--target', 'wasm', '--out', m.file('o'), '--weights-dtype', 'int4'], /--weights-dtype must be one of f32, int8, f16, got "int4"/],
    ['quantized onnx export', (m) => ['--config', m.config, '--target', 'onnx', '--out', m.file('o'), '--weights-dtype', 'f16'], /--weights-dtype f16 applies to the wasm and webgpu targets/],
    ['quantized js export', (m) => ['--config', m.config, '--target', 'js', '--out', m.file('o'), '--weights-dtype', 'int8'], /js export: weightsDtype int8 is not supported/],
    ['truncated weights', (m) => { fs.truncateSync(m.weights, 100); return ['--config', m.config, '--weights', m.weights, '--target', 'js', '--out', m.file('o')]; }, /weights\.safetensors/],
  ];

  it.each(bad)('%s: an error, and nothing written', async (_name, setup, message) => {
    const m = writeModelDir();
    const r = await smelt('compile', ...setup(m));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(m.file('o'))).toBe(false);
    expect(fs.readdirSync(m.dir).filter((f) => f.includes('.smelt-'))).toEqual([]);
  });
});

describe('--weights-dtype', () => {
  it('compile --target wasm --weights-dtype int8: a smaller model.bin, run without smelt, equal to `smelt run --weights-dtype int8`', async () => {
    const m = writeModelDir();
    const ref = await smelt('run', '--config', m.config, '--weights', m.weights, '--inputs', m.inputs, '--out', m.file('ref.safetensors'), '--backend', 'reference', '--weights-dtype', 'int8', '--quiet');
    expect(ref.code).toBe(0);
    const want = readSafetensors(m.file('ref.safetensors')).get('logits')!.data as Float32Array;
    for (const dtype of ['f32', 'int8'] as const) {
      const r = await smelt('compile', '--config', m.config, '--weights', m.weights, '--target', 'wasm', '--out', m.file(`aot-${dtype}`), '--weights-dtype', dtype, '--quiet');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    // The fixture is tiny (d 16): embeddings, positions, norms and biases are a large share; W-base's load-time image is 3.8× smaller (quantized-weights.test.ts).
    expect(fs.statSync(m.file('aot-int8/model.bin')).size).toBeLessThan(fs.statSync(m.file('aot-f32/model.bin')).size * 0.5);
    const got = runExported(m.file('aot-int8'), m.inputs, 'wasm');
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]))));
  });

  it('run and generate take it on wasm; a bad value is one error naming the flag, and nothing is written', async () => {
    const m = writeModelDir();
    for (const command of ['run', 'generate']) {
      const ok = await smelt(command, '--config', m.config, '--weights', m.weights, '--inputs', m.inputs, '--out', m.file(`${command}.safetensors`), '--backend', 'wasm', '--weights-dtype', 'f16', '--quiet');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      const bad = await smelt(command, '--config', m.config, '--weights', m.weights, '--inputs', m.inputs, '--out', m.file(`${command}-bad.safetensors`), '--weights-dtype', 'q4');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.split('\n').filter((l) => l.includes('error'))).toEqual([expect.stringMatching(/--weights-dtype must be one of f32, int8, f16, got "q4"/)]);
      expect(fs.existsSync(m.file(`${command}-bad.safetensors`))).toBe(false);
    }
  });

  it('--help names it on run, generate and compile', async () => {
    for (const command of ['run', 'generate', 'compile']) {
      const r = await smelt(command, '--help');
      expect(r.stdout).toMatch(/--weights-dtype D +how matmul weights are stored: f32, int8, f16/);
    }
  });
});
