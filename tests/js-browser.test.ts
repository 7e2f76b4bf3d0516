// An exported JS model in a browser: headless Chromium imports model.js (plain JavaScript, no
// imports), which fetches weights.safetensors beside it, and runs two sequence lengths; logits
// match the interpreter to 1e-4. (Node, from a fresh process: js-aot.test.ts.)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { buildModel } from '@smelt/models';
import { planForJs } from '@smelt/backends';
import { exportJsModule } from '@smelt/backends/node';
import { describeBrowser, runPage } from './browser.ts';
import { type Logits, browserSeq2Seq, expectLogits, writePage } from './browser-models.ts';
import { randomWeights } from './fixtures.ts';

describeBrowser('js AOT export in a browser', () => {
  it('model.js fetches its weights and matches the interpreter', { timeout: 120_000 }, async () => {
    const graph = buildModel(browserSeq2Seq('relu', false));
    const weights = randomWeights(graph, 17);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-js-browser-'));
    try {
      exportJsModule(planForJs(graph), weights, dir);
      writePage(dir, 'index.html', 'await report({ results: await runCases(await load()) });');
      const r = await runPage(dir, 'index.html', 60_000, ['--disable-gpu']) as { error?: string; results: Logits[] };
      expect(r.error).toBeUndefined();
      expectLogits(r.results, graph, weights, 'js in Chromium');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
