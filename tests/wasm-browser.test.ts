// An exported wasm model in a browser (headless Chromium): model.js fetches its files and runs the
// SIMD build, one thread and two (Web Workers over a shared memory, the page cross-origin
// isolated); both match the interpreter to 1e-4 and each other exactly. On a page that is not
// cross-origin isolated, asking for threads fails with a message saying what the page needs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/examples/transformer';
import { exportWasm, wasmPlan } from '../packages/backends/src/wasm/index.ts';
import { describeBrowser, runPage } from './browser.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { expectClose } from './wasm-suite.ts';

const CFG: ModelConfig = {
  model: 'seq2seq', dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64,
  activation: 'relu', layerNormEps: 1e-5, normFirst: false, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4,
};

const PAGE = `<!doctype html>
<script type="module">
const report = (body) => fetch('/result', { method: 'POST', body: JSON.stringify(body) });
try {
  const { load } = await import('./model.js');
  const cases = await (await fetch('./inputs.json')).json();
  const arrays = { i32: Int32Array };
  const run = (model) => cases.map((c) => {
    const inputs = Object.fromEntries(Object.entries(c).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: arrays[t.dtype].from(t.data) }]));
    const out = model.run(inputs);
    return { shape: out.logits.shape, data: Array.from(out.logits.data) };
  });
  const one = await load();
  let two;
  try {
    two = await load({ threads: 2 });
  } catch (e) {
    await report({ isolated: crossOriginIsolated, simd: one.simd, one: run(one), threadsError: String(e.message) });
    throw e;
  }
  await report({ isolated: crossOriginIsolated, simd: one.simd, threads: two.threads, cores: navigator.hardwareConcurrency, one: run(one), two: run(two) });
  two.dispose();
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>
`;

interface PageResult {
  readonly error?: string;
  readonly isolated: boolean;
  readonly simd: string;
  readonly threads?: number;
  readonly cores?: number;
  readonly threadsError?: string;
  readonly one: { shape: number[]; data: number[] }[];
  readonly two?: { shape: number[]; data: number[] }[];
}

describeBrowser('wasm AOT export in a browser', () => {
  const graph = buildModel(CFG);
  const weights = randomWeights(graph, 11);
  const sets = [[6, 4], [9, 7]].map(([src, tgt]) => new Map<string, Tensor>([
    ['src', make('i32', [1, src], (i) => (i * 5 + 1) % 11)], ['tgt', make('i32', [1, tgt], (i) => (i * 3 + 2) % 13)],
  ]));
  let dir = '';

  async function served(): Promise<string> {
    if (dir) return dir;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-wasm-browser-'));
    await exportWasm(wasmPlan(graph), weights, dir);
    const json = sets.map((s) => Object.fromEntries([...s].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Int32Array) }])));
    fs.writeFileSync(path.join(dir, 'inputs.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
    fs.writeFileSync(path.join(dir, 'open.html'), PAGE);
    return dir;
  }

  it('one thread and two Web Workers match the interpreter, and each other exactly', { timeout: 120_000 }, async () => {
    const r = await runPage(await served(), 'index.html', 60_000, ['--disable-gpu']) as PageResult;
    expect(r.error).toBeUndefined();
    expect(r.isolated).toBe(true);
    expect(r.threads).toBe(Math.min(2, r.cores!));
    sets.forEach((set, i) => {
      const want = interpret(graph, set, weights).get('logits')!;
      expectClose(tensor('f32', r.one[i].shape, Float32Array.from(r.one[i].data)), want, `set ${i}, one thread (${r.simd} SIMD)`);
    });
    expect(r.two, 'two threads give the one-thread logits exactly').toEqual(r.one);
  });

  it('a page that is not cross-origin isolated gets single-thread results and a clear error for threads', { timeout: 120_000 }, async () => {
    const r = await runPage(await served(), 'open.html', 60_000, ['--disable-gpu']) as PageResult;
    expect(r.isolated).toBe(false);
    expect(r.one.length).toBe(2);
    expect(r.threadsError).toMatch(/threads need SharedArrayBuffer, so the page must be cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
  });
});
