// An exported WebGPU model in a browser: headless Chromium (its WebGPU adapter is SwiftShader, a
// CPU Vulkan, where there is no GPU) imports model.js, loads it with navigator.gpu, which fetches
// the .wgsl files and weights.bin, and runs two sequence lengths; logits match the interpreter to
// 1e-4. The same host code runs under Dawn in Node in webgpu-aot.test.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/examples/transformer';
import { exportWebGpu, planFor } from '../packages/backends/src/webgpu/index.ts';
import { describeBrowser, runPage } from './browser.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { expectClose } from './webgpu-suite.ts';

/** Chromium's WebGPU without a GPU: SwiftShader behind the unsafe-WebGPU switch. */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

const CFG: ModelConfig = {
  model: 'seq2seq', dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64,
  activation: 'gelu', layerNormEps: 1e-5, normFirst: true, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4,
};

const PAGE = `<!doctype html>
<script type="module">
const report = (body) => fetch('/result', { method: 'POST', body: JSON.stringify(body) });
try {
  if (!navigator.gpu) throw new Error('no navigator.gpu');
  const { load } = await import('./model.js');
  const cases = await (await fetch('./inputs.json')).json();
  const model = await load({ gpu: navigator.gpu });
  const results = [];
  for (const c of cases) {
    const inputs = Object.fromEntries(Object.entries(c).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Int32Array.from(t.data) }]));
    const out = await model.run(inputs);
    results.push({ shape: out.logits.shape, data: Array.from(out.logits.data) });
  }
  model.dispose();
  await report({ results });
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>
`;

describeBrowser('webgpu AOT export in a browser', () => {
  it('model.js with navigator.gpu fetches its shaders and weights and matches the interpreter', { timeout: 180_000 }, async () => {
    const graph = buildModel(CFG);
    const weights = randomWeights(graph, 13);
    const sets = [[6, 4], [9, 7]].map(([src, tgt]) => new Map<string, Tensor>([
      ['src', make('i32', [1, src], (i) => (i * 5 + 1) % 11)], ['tgt', make('i32', [1, tgt], (i) => (i * 3 + 2) % 13)],
    ]));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-webgpu-browser-'));
    try {
      await exportWebGpu(planFor(graph), weights, dir);
      const json = sets.map((s) => Object.fromEntries([...s].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Int32Array) }])));
      fs.writeFileSync(path.join(dir, 'inputs.json'), JSON.stringify(json));
      fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
      const r = await runPage(dir, 'index.html', 150_000, WEBGPU_FLAGS) as { error?: string; results: { shape: number[]; data: number[] }[] };
      expect(r.error).toBeUndefined();
      sets.forEach((set, i) => {
        const want = interpret(graph, set, weights).get('logits')!;
        expectClose(tensor('f32', r.results[i].shape, Float32Array.from(r.results[i].data)), want, `set ${i}: logits`);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
