// The playground in a real browser (playwright-core driving Debian's Chromium, WebGPU on
// SwiftShader): build it with Vite, serve the static site cross-origin isolated, compile the
// trained toy in the page, step through the passes (a before/after view, a node's details), see
// the memory plan, run it on wasm and on WebGPU (per-run time, the per-kernel timeline, outputs
// against the interpreter), reverse typed digits with the streaming generator on both, open
// W-base with its layers collapsed, load a .smelt file, and import an .onnx file in the page (the
// toy's encoder written by exportOnnx; run on wasm against the interpreter on the DSL-built graph;
// its external data file picked with it or missing; a malformed file's and an unsupported op's
// errors shown in the page).
// A screenshot of each view goes to test-output/playground/; a blank one fails.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { interpret, printGraph, serializeSafetensors } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { type Seq2SeqConfig, buildSeq2SeqGraph, parseConfig, weightsFor } from '@smelt/models';
import { exportOnnx, importOnnx } from '@smelt/onnx';
import { sampleInputs } from '../playground/src/inputs.ts';
import { PLAIN, block } from './hostile-names.ts';
import { describeBrowser, serveFolder } from './browser.ts';
import { TEST_OUTPUT, launchChromium, pageErrors, screenshot } from './playwright.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHOTS = path.join(TEST_OUTPUT, 'playground');

describeBrowser('playground in Chromium', () => {
  let site: string;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    site = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-playground-'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', site, '--emptyOutDir', '--logLevel', 'error'], { cwd: path.join(ROOT, 'playground'), stdio: 'pipe' });
    const served = await serveFolder(site);
    server = served.server;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    errors = pageErrors(page);
    await page.goto(`http://127.0.0.1:${served.port}/index.html`);
    await page.waitForFunction('window.smeltPlayground?.ready === true');
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (site) fs.rmSync(site, { recursive: true, force: true });
  });

  const idle = () => page.waitForFunction('window.smeltPlayground.busy === false', undefined, { timeout: 240_000 });
  const status = () => page.textContent('[data-test=status]');

  it('is cross-origin isolated (wasm threads can share memory)', async () => {
    expect(await page.evaluate('crossOriginIsolated')).toBe(true);
  });

  it('compiles the toy in the page and steps through the passes', { timeout: 240_000 }, async () => {
    await page.selectOption('[data-test=model]', 'toy');
    await page.click('[data-test=compile]');
    await idle();
    const compiled = /^compiled seq2seq in the page in [\d.]+ ms: (\d+) passes \(\d+ changed the graph\), (\d+) → \d+ ops, \d+ kernels/.exec((await status()) ?? '');
    expect(compiled).not.toBeNull();
    const steps = await page.$$eval('[data-test=steps] button', (bs) => bs.map((b) => b.textContent ?? ''));
    expect(steps).toHaveLength(1 + Number(compiled![1]));
    expect(steps[0]).toBe(`0. built (${compiled![2]})`);
    expect(steps.some((s) => s.includes('fuse-attention *'))).toBe(true);
    await screenshot(page, SHOTS, 'passes');
    // Step to the attention fusion and compare with the step before.
    const at = steps.findIndex((s) => s.includes('fuse-attention'));
    await page.click(`[data-step="${at}"]`);
    expect(await page.textContent('[data-test=step-title]')).toContain('fuse-attention');
    await page.check('[data-test=compare]');
    const diff = await page.textContent('[data-test=diff-summary]');
    const [, added, removed] = /(\d+) added, (\d+) removed/.exec(diff ?? '')!.map(Number);
    expect(added).toBeGreaterThan(0);
    expect(removed).toBeGreaterThan(added);
    await page.locator('svg[data-test=graph] g.layer').first().click(); // expand a layer in the before view
    expect(await page.locator('svg[data-test=graph] g.removed').count()).toBeGreaterThan(0);
    expect(await page.locator('svg[data-test=graph] g.added').count()).toBeGreaterThan(0);
    await screenshot(page, SHOTS, 'before-after');
    // A fused node's details: op, the pass that made it, types with symbols, FLOPs and bytes.
    await page.uncheck('[data-test=compare]');
    await page.locator('svg[data-test=graph] g.layer').first().click();
    await page.locator('svg[data-test=graph] g.op[data-node]', { hasText: 'attention' }).first().click();
    const details = await page.textContent('[data-test=details]');
    expect(details).toContain('opattention');
    expect(details).toContain('made byfuse-attention');
    expect(details).toMatch(/f32\[batch, 4, srcLen, 16\]/);
    expect(details).toMatch(/FLOPs[\d.]+ [kM]?FLOP/);
    expect(await page.locator('[data-test=ir] .hl').textContent()).toMatch(/= attention\(.*\/\/ made by fuse-attention/);
    await screenshot(page, SHOTS, 'node-details');
    await page.click('[data-test=tab-memory]');
    expect(await page.locator('svg[data-test=memory] rect').count()).toBeGreaterThan(10);
    await screenshot(page, SHOTS, 'memory');
  });

  for (const backend of ['wasm', 'webgpu']) {
    it(`runs the toy on ${backend}: per-run time, the kernel timeline, outputs as the interpreter's`, { timeout: 300_000 }, async () => {
      await page.selectOption('[data-test=backend]', backend);
      await page.click('[data-test=run]');
      await idle();
      expect(await status()).not.toMatch(/failed/);
      const result = await page.textContent('[data-test=run-result]');
      expect(result).toMatch(new RegExp(`^${backend}: [\\d.]+ ms per run \\(median of 3; compile \\d+ ms\\); logits f32\\[1, 8, 13\\]; max \\|Δ\\| vs the interpreter`));
      const delta = Number(/interpreter ([\d.e+-]+)/.exec(result!)![1]);
      expect(delta).toBeLessThan(1e-4);
      expect(await page.locator('svg[data-test=timeline] rect').count()).toBeGreaterThan(50);
      await screenshot(page, SHOTS, `timeline-${backend}`);
    });

    it(`reverses typed digits on ${backend}, tokens streaming from the generator`, { timeout: 300_000 }, async () => {
      await page.selectOption('[data-test=backend]', backend);
      await page.fill('[data-test=toy-input]', '31415926');
      await page.click('[data-test=toy-go]');
      await idle();
      expect(await status()).not.toMatch(/failed/);
      expect(await page.textContent('[data-test=toy-output]')).toBe('62951413');
      expect(await page.textContent('[data-test=toy-note]')).toMatch(new RegExp(`^8 tokens in [\\d.]+ ms on ${backend}`));
      await screenshot(page, SHOTS, `toy-${backend}`);
    });
  }

  it('opens the base Transformer (over a hundred and fifty kernels) with its layers collapsed', { timeout: 300_000 }, async () => {
    await page.selectOption('[data-test=model]', 'base');
    await page.click('[data-test=compile]');
    await idle();
    const text = await status();
    const kernels = Number(/(\d+) kernels/.exec(text ?? '')?.[1]);
    expect(kernels).toBeGreaterThan(150); // 164 since attention reads the heads in place (236 with the head transposes)
    expect(await page.locator('svg[data-test=graph] g.layer').count()).toBe(12);
    expect(await page.locator('svg[data-test=graph] g.op').count()).toBeLessThan(40);
    await page.locator('svg[data-test=graph] g.layer').nth(3).click();
    expect(await page.locator('svg[data-test=graph] g.op').count()).toBeGreaterThan(10);
    await screenshot(page, SHOTS, 'base-transformer');
  });

  for (const id of ['gpt2-mini', 'bert-mini']) {
    it(`compiles and runs the zoo's ${id} on wasm like the interpreter`, { timeout: 180_000 }, async () => {
      await page.selectOption('[data-test=model]', id);
      await page.click('[data-test=compile]');
      await idle();
      expect(await status()).toMatch(/^compiled \S+ in the page .* seeded random weights/);
      expect(await page.locator('svg[data-test=graph] g.layer').count()).toBe(4);
      await page.selectOption('[data-test=backend]', 'wasm');
      await page.click('[data-test=run]');
      await idle();
      const result = await page.textContent('[data-test=run-result]');
      expect(Number(/interpreter ([\d.e+-]+)/.exec(result ?? '')?.[1])).toBeLessThan(1e-4);
    });
  }

  it('loads a .smelt file with or without its .safetensors', { timeout: 120_000 }, async () => {
    const m = block(PLAIN);
    const smelt = { name: 'block.smelt', mimeType: 'text/plain', buffer: Buffer.from(printGraph(m.graph)) };
    await page.setInputFiles('[data-test=file]', [smelt]);
    await idle();
    expect(await status()).toMatch(/^compiled plain in the page .*no \.safetensors given: seeded random weights$/);
    const weights = { name: 'block.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(serializeSafetensors(m.weights)) };
    await page.setInputFiles('[data-test=file]', [smelt, weights]);
    await idle();
    expect(await status()).toMatch(/^compiled plain in the page .*weights from block\.safetensors$/);
    await page.selectOption('[data-test=backend]', 'wasm');
    await page.click('[data-test=run]');
    await idle();
    expect(await page.textContent('[data-test=run-result]')).toMatch(/^wasm: .* y f32\[1, 8, 16\], z f32\[1, 8\]; max \|Δ\| vs the interpreter/);
    expect(errors).toEqual([]);
  });

  describe('an .onnx file', () => {
    const toy = parseConfig(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/transformer/toy-reverse/config.json'), 'utf8')), 'toy-reverse/config.json') as Seq2SeqConfig;
    const graph = buildSeq2SeqGraph(toy, 'encoder');
    const weights = weightsFor(graph, readSafetensors(path.join(ROOT, 'examples/transformer/toy-reverse/weights.safetensors')));
    const bytes = exportOnnx(graph, weights);
    const file = (name: string, data: Uint8Array) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(data) });

    it('is imported in the page, compiled, and run on wasm like the interpreter on the DSL-built graph', { timeout: 180_000 }, async () => {
      await page.setInputFiles('[data-test=file]', [file('toy-encoder.onnx', bytes)]);
      await idle();
      expect(await status()).toMatch(/^compiled toy_encoder in the page in [\d.]+ ms: \d+ passes .* \d+ kernels; imported from ONNX \(opset 17, smelt\): weights from toy-encoder\.onnx$/);
      // The imported graph fuses like the DSL-built one: the encoder's two self-attentions (under 120 ops: no layer folded).
      expect(await page.locator('svg[data-test=graph] g.op[data-node]', { hasText: /^attention/ }).count()).toBe(2);
      await screenshot(page, SHOTS, 'onnx-import');
      await page.selectOption('[data-test=backend]', 'wasm');
      await page.click('[data-test=run]');
      await idle();
      const result = await page.textContent('[data-test=run-result]');
      expect(result).toMatch(/^wasm: [\d.]+ ms per run .*; memory f32\[1, 8, 64\]; max \|Δ\| vs the interpreter/);
      expect(Number(/interpreter ([\d.e+-]+)/.exec(result ?? '')?.[1])).toBeLessThan(1e-4);
      // The page's inputs are sampleInputs of the imported graph; the DSL-built graph's interpreter on them is the reference.
      const got = (await page.evaluate('Array.from(window.smeltPlayground.outputs.get("memory").data)')) as number[];
      const want = interpret(graph, sampleInputs(importOnnx(bytes).graph), weights).get('memory')!.data;
      expect(got).toHaveLength(want.length);
      expect(Math.max(...got.map((v, i) => Math.abs(v - Number(want[i]))))).toBeLessThan(1e-4);
      expect(errors).toEqual([]);
    });

    it('with external data: refused, naming the data file, until it is picked with the model', { timeout: 180_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-playground-onnx-'));
      try {
        fs.writeFileSync(path.join(dir, 'in.onnx'), bytes);
        const save = "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True, location='toy.weights', size_threshold=0)";
        execFileSync('/usr/bin/python3', ['-c', save, path.join(dir, 'in.onnx'), path.join(dir, 'toy-ext.onnx')]);
        const model = file('toy-ext.onnx', fs.readFileSync(path.join(dir, 'toy-ext.onnx')));
        expect(model.buffer.length).toBeLessThan(bytes.length / 4);
        await page.setInputFiles('[data-test=file]', [model]);
        await idle();
        expect(await status()).toMatch(/^load failed: toy-ext\.onnx: .*external data file "toy\.weights", which was not picked: choose toy-ext\.onnx and toy\.weights together$/);
        await page.setInputFiles('[data-test=file]', [model, file('toy.weights', fs.readFileSync(path.join(dir, 'toy.weights')))]);
        await idle();
        expect(await status()).toMatch(/^compiled toy_ext in the page .*; imported from ONNX \(opset 17, smelt\): weights from toy-ext\.onnx and toy\.weights$/);
        await page.click('[data-test=run]');
        await idle();
        expect(Number(/interpreter ([\d.e+-]+)/.exec((await page.textContent('[data-test=run-result]')) ?? '')?.[1])).toBeLessThan(1e-4);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('malformed or with an unsupported op: the importer\'s named error is shown in the page, nothing thrown', { timeout: 60_000 }, async () => {
      errors.length = 0;
      await page.setInputFiles('[data-test=file]', [file('broken.onnx', bytes.slice(0, 1000))]);
      await idle();
      expect(await status()).toBe('load failed: broken.onnx: not a valid ONNX model (protobuf: index out of range)');
      expect(await page.getAttribute('[data-test=status]', 'class')).toBe('error');
      await screenshot(page, SHOTS, 'onnx-error');
      // One node of an op nobody defines, written by Debian's python3-onnx.
      const odd = "import onnx, sys; from onnx import helper as h, TensorProto as T; io = lambda n: h.make_tensor_value_info(n, T.FLOAT, [2]); onnx.save(h.make_model(h.make_graph([h.make_node('NotAnOp', ['x'], ['y'], name='mystery')], 'g', [io('x')], [io('y')]), opset_imports=[h.make_opsetid('', 17)]), sys.argv[1])";
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-playground-onnx-'));
      try {
        execFileSync('/usr/bin/python3', ['-c', odd, path.join(dir, 'odd.onnx')]);
        await page.setInputFiles('[data-test=file]', [file('odd.onnx', fs.readFileSync(path.join(dir, 'odd.onnx')))]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      await idle();
      expect(await status()).toMatch(/^load failed: odd\.onnx: node "mystery" \(NotAnOp, domain "ai\.onnx", opset 17\): op NotAnOp is not supported \(supported, domain ai\.onnx: Abs, Add, /);
      expect(errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
      expect(errors).toHaveLength(2);
      expect(errors.every((e) => e.includes('broken.onnx') || e.includes('odd.onnx'))).toBe(true);
    });
  });

  it('fails a blank screenshot', async () => {
    const blank = await browser.newPage();
    await expect(screenshot(blank, SHOTS, 'blank')).rejects.toThrow(/blank \(pixel variance 0\)/);
    await blank.close();
  });
});
