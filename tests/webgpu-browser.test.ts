// An exported WebGPU model in a browser: headless Chromium (its WebGPU adapter is SwiftShader, a
// CPU Vulkan, where there is no GPU) imports model.js, loads it with navigator.gpu, which fetches
// the .wgsl files and weights.bin, and runs two sequence lengths; logits match the interpreter to
// 1e-4. The same host code runs under Dawn in Node in webgpu-aot.test.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { buildModel } from '@smelt/models';
import { planFor } from '@smelt/backends';
import { exportWebGpu } from '@smelt/backends/node';
import { WEBGPU_FLAGS, describeBrowser, runPage } from './browser.ts';
import { type Logits, browserSeq2Seq, expectLogits, writePage } from './browser-models.ts';
import { randomWeights } from './fixtures.ts';

describeBrowser('webgpu AOT export in a browser', () => {
  it('model.js with navigator.gpu fetches its shaders and weights and matches the interpreter', { timeout: 180_000 }, async () => {
    const graph = buildModel(browserSeq2Seq('gelu', true));
    const weights = randomWeights(graph, 13);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-webgpu-browser-'));
    try {
      await exportWebGpu(planFor(graph), weights, dir);
      writePage(dir, 'index.html', `
  if (!navigator.gpu) throw new Error('no navigator.gpu');
  const model = await load({ gpu: navigator.gpu });
  const results = await runCases(model);
  model.dispose();
  await report({ results });`);
      const r = await runPage(dir, 'index.html', 150_000, WEBGPU_FLAGS) as { error?: string; results: Logits[] };
      expect(r.error).toBeUndefined();
      expectLogits(r.results, graph, weights, 'webgpu in Chromium');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
