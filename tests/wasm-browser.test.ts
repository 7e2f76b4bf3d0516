// An exported wasm model in a browser (headless Chromium): model.js fetches its files and runs the
// SIMD build, one thread and two (Web Workers over a shared memory, the page cross-origin
// isolated); both match the interpreter to 1e-4 and each other exactly. On a page that is not
// cross-origin isolated, asking for threads fails with a message saying what the page needs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { buildModel } from '@smelt/models';
import { wasmPlan } from '@smelt/backends';
import { exportWasm } from '@smelt/backends/node';
import { describeBrowser, runPage } from './browser.ts';
import { type Logits, browserSeq2Seq, expectLogits, writePage } from './browser-models.ts';
import { randomWeights } from './fixtures.ts';

/** One thread, then two; a failure to start threads is reported, not thrown. */
const BODY = `
  const one = await load();
  const results = await runCases(one);
  let threaded;
  try {
    const two = await load({ threads: 2 });
    threaded = { threads: two.threads, results: await runCases(two) };
    two.dispose();
  } catch (e) {
    threaded = { error: String(e.message) };
  }
  await report({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, simd: one.simd, results, threaded });`;

interface PageResult {
  readonly error?: string;
  readonly isolated: boolean;
  readonly cores: number;
  readonly simd: string;
  readonly results: Logits[];
  readonly threaded: { readonly threads?: number; readonly results?: Logits[]; readonly error?: string };
}

describeBrowser('wasm AOT export in a browser', () => {
  const graph = buildModel(browserSeq2Seq('relu', false));
  const weights = randomWeights(graph, 11);
  let dir = '';

  /** The export with an isolated page (index.html) and one that is not (open.html: see runPage). */
  async function served(): Promise<string> {
    if (dir) return dir;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-wasm-browser-'));
    await exportWasm(wasmPlan(graph), weights, dir);
    writePage(dir, 'index.html', BODY);
    writePage(dir, 'open.html', BODY);
    return dir;
  }

  it('one thread and two Web Workers match the interpreter, and each other exactly', { timeout: 120_000 }, async () => {
    const r = await runPage(await served(), 'index.html', 60_000, ['--disable-gpu']) as PageResult;
    expect(r.error).toBeUndefined();
    expect(r.isolated).toBe(true);
    expectLogits(r.results, graph, weights, `wasm in Chromium, one thread (${r.simd} SIMD)`);
    expect(r.threaded.error).toBeUndefined();
    expect(r.threaded.threads).toBe(Math.min(2, r.cores));
    expect(r.threaded.results, 'two threads give the one-thread logits exactly').toEqual(r.results);
  });

  it('a page that is not cross-origin isolated gets single-thread results and a clear error for threads', { timeout: 120_000 }, async () => {
    const r = await runPage(await served(), 'open.html', 60_000, ['--disable-gpu']) as PageResult;
    expect(r.error).toBeUndefined();
    expect(r.isolated).toBe(false);
    expectLogits(r.results, graph, weights, 'wasm in Chromium, not isolated');
    expect(r.threaded.error).toMatch(/threads need SharedArrayBuffer, so the page must be cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
  });
});
