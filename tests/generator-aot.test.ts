// `smelt compile --graph generator`: the exported folder (model.js running smelt's own generation
// loop over the encode/ and step/ exports), copied outside the repository, is loaded by a fresh Node
// process with no smelt package resolvable (webgpu: only the `webgpu` package, for Dawn), and its
// generate() and stream() give the in-process generator's tokens on the same backend, greedy,
// sampled with a seed and beam search, over a batch with source padding and eos; the caches stay in
// the step part between steps (its byte counts: per step only tokens and logits, webgpu only token
// ids, as in process); the step part's device tensors work when used directly; bad options and a
// missing mask are refused with the in-process messages.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import {
  DECODE_JS, type Decoded, EXPECTED_ERRORS, type GeneratorTarget as Target, casesJson, decodeInProcess, expectResidentCaches, expectSameTokens, writeGeneratorModel,
} from './generator-aot.ts';
import { describeWebGpu } from './webgpu-suite.ts';

async function compileGenerator(target: Target, out: string, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = writeGeneratorModel(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gen-model-')));
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const code = await main(['compile', '--config', m.config, '--weights', m.weights, '--target', target, '--graph', 'generator', '--mask', 'src', '--out', out, ...extra]);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/**
 * The step part's device tensors used directly, on two loaded copies: a selection read back, the
 * bytes counted, a tensor of the other copy refused, and one disposed refused (js: its arrays are
 * the host's, so dispose frees nothing and it stays readable).
 */
const PROBE_JS = `
const first = await stepPart.load(partOptions);
const second = await stepPart.load(target === 'webgpu' ? { device: first.device } : partOptions);
const t = first.upload({ dtype: 'f32', shape: [2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) });
const outcome = (f) => Promise.resolve().then(f).then((r) => (r && r.data ? Array.from(r.data) : 'ran'), (e) => e.message);
const probe = { picked: await outcome(() => first.download(first.selectRows(t, [1, 0, 1]))), transfers: first.transfers };
probe.foreign = await outcome(() => second.download(t));
t.dispose();
probe.disposed = await outcome(() => first.download(t));
second.dispose();
first.dispose();
`;

const childScript = (target: Target) => `
import fs from 'node:fs';
${target === 'webgpu' ? "import { create } from 'webgpu';" : ''}
import { load } from './model.js';
import * as stepPart from './step/model.js';
const target = ${JSON.stringify(target)};
const cases = JSON.parse(fs.readFileSync('cases.json', 'utf8'));
const gpu = ${target === 'webgpu' ? 'create([])' : 'undefined'};
const gen = await load(${target === 'webgpu' ? '{ gpu }' : ''});
${DECODE_JS}
let smelt = 'not resolvable';
try { await import('@smelt/ir'); smelt = 'resolvable'; } catch {}
gen.dispose();
const partOptions = target === 'webgpu' ? { gpu } : undefined;
${PROBE_JS}
process.stdout.write(JSON.stringify({ smelt, decoded, errors, probe }));
process.exit(0);
`;

/** What PROBE_JS finds on each target. */
function expectedProbe(target: Target): object {
  const refused = `${target}: download is not a live device tensor of this executable (disposed, or made by another one)`;
  return {
    picked: [3, 4, 5, 0, 1, 2, 3, 4, 5],
    transfers: target === 'js' ? { toBackend: 0, fromBackend: 0 } : { toBackend: 24, fromBackend: 36 },
    foreign: refused,
    disposed: target === 'js' ? [0, 1, 2, 3, 4, 5] : refused,
  };
}

/** Copy `dir` outside the repository (webgpu: with node_modules/webgpu linked) and run the child there. */
function runExported(dir: string, target: Target): { smelt: string; decoded: Decoded; errors: string[]; probe: object } {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gen-aot-'));
  fs.cpSync(dir, copy, { recursive: true });
  if (target === 'webgpu') {
    const pkg = path.dirname(createRequire(path.join(__dirname, '../packages/backends/package.json')).resolve('webgpu/package.json'));
    fs.mkdirSync(path.join(copy, 'node_modules'));
    fs.symlinkSync(pkg, path.join(copy, 'node_modules', 'webgpu'), 'dir');
  }
  fs.writeFileSync(path.join(copy, 'cases.json'), casesJson());
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  try {
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', childScript(target)], { cwd: copy, env, encoding: 'utf8', timeout: 300_000 }));
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

async function checkTarget(target: Target): Promise<void> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gen-out-')), 'generator');
  const r = await compileGenerator(target, out);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`seq2seq (generator) for ${target}: wrote model.d.ts, model.js, package.json, encode/ (`);
  expect(fs.readdirSync(path.join(out, 'step'))).toContain('model.js');
  const js = fs.readFileSync(path.join(out, 'model.js'), 'utf8');
  expect([...js.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['./encode/model.js', './step/model.js']);
  expect(js, 'the loop is the package\'s own, embedded').toContain('class Seq2SeqGenerator');

  const weights = readSafetensors(path.join(path.dirname(r.stdout.match(/weights: (.*)\n/)![1]), 'weights.safetensors'));
  const want = await decodeInProcess(target, weights);
  const got = runExported(out, target);
  expect(got.smelt, 'smelt must not be resolvable from the exported folder').toBe('not resolvable');
  expectSameTokens(got.decoded, want, `${target} export in Node`);
  expectResidentCaches(got.decoded, want, target, `${target} export in Node`);
  expect(got.errors).toEqual(EXPECTED_ERRORS);
  expect(got.probe, 'the step part\'s device tensors, used directly').toEqual(expectedProbe(target));
}

describe('smelt compile --graph generator', () => {
  it.each(['js', 'wasm'] as const)('--target %s: generate() and stream() in a fresh Node process give the in-process tokens, the caches kept in the step part', { timeout: 300_000 }, async (target) => {
    await checkTarget(target);
  });

  it('refuses --mask tgt (decoding makes the target); nothing written', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gen-bad-')), 'o');
    const r = await compileGenerator('js', out, ['--mask', 'tgt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--graph generator takes --mask src only');
    expect(fs.existsSync(out)).toBe(false);
  });
});

describeWebGpu('smelt compile --graph generator, webgpu', () => {
  it('--target webgpu: generate() and stream() under Dawn in a fresh Node process give the in-process tokens, only token ids read back per step', { timeout: 600_000 }, async () => {
    await checkTarget('webgpu');
  });
});
