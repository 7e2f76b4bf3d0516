// The compiler in a browser: scripts/bundle-browser.ts bundles @smelt/ir, @smelt/compiler and
// @smelt/backends with esbuild for the browser platform. The bundle imports no node: module (a
// node: import fails the build there, and none may be left external), holds smelt's own code only,
// stays within its size budget (with @smelt/onnx too), and in headless Chromium it builds a graph with the DSL, compiles
// it with the js and wasm backends, runs it like the interpreter, and makes an ahead-of-time export.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BrowserBundle, buildBrowserBundle } from '../scripts/bundle-browser.ts';
import { describeBrowser, runPage } from './browser.ts';

/** README's budget for the bundle, minified and gzipped. */
const GZIP_BUDGET = 300_000;

let built: Promise<BrowserBundle> | undefined;
const bundle = () => (built ??= buildBrowserBundle());

describe('browser bundle', () => {
  it('builds for the browser platform with no node: import, from smelt\'s packages alone, within budget', { timeout: 120_000 }, async () => {
    const b = await bundle();
    expect(b.nodeImports).toEqual([]);
    expect(b.inputs.filter((f) => !f.startsWith('packages/') && f !== 'tests/smelt.browser.js')).toEqual([]);
    for (const pkg of ['ir', 'compiler', 'backends']) expect(b.inputs.some((f) => f.startsWith(`packages/${pkg}/src/`)), pkg).toBe(true);
    expect(b.inputs).not.toContain('packages/backends/src/platform/node.ts');
    expect(b.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET);
  });

  it('with @smelt/onnx (what the playground loads lazily for .onnx files): no node: import, smelt and protobufjs alone, within the same budget', { timeout: 120_000 }, async () => {
    const [plain, withOnnx] = await Promise.all([bundle(), buildBrowserBundle({ onnx: true })]);
    expect(withOnnx.nodeImports).toEqual([]);
    expect(withOnnx.inputs.some((f) => f.startsWith('packages/onnx/src/'))).toBe(true);
    const thirdParty = withOnnx.inputs.filter((f) => !f.startsWith('packages/') && f !== 'tests/smelt.browser.js');
    expect(thirdParty.some((f) => f.includes('/protobufjs/'))).toBe(true);
    // '(disabled):fs': protobufjs's own browser field maps fs to nothing: an empty module, not Node's.
    expect(thirdParty.filter((f) => !/node_modules\/(protobufjs|@protobufjs\/[a-z0-9]+|long)\//.test(f) && f !== '(disabled):fs')).toEqual([]);
    expect(plain.inputs.some((f) => f.startsWith('packages/onnx/'))).toBe(false);
    expect(withOnnx.gzipBytes).toBeGreaterThan(plain.gzipBytes);
    expect(withOnnx.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET);
  });
});

const PAGE = `<!doctype html>
<script type="module">
const report = (body) => fetch('/result', { method: 'POST', body: JSON.stringify(body) });
try {
  const { ir, backends } = await import('./smelt.browser.js');
  const b = new ir.GraphBuilder('page');
  const x = ir.input(b, 'x', 'f32', ['batch', 'seq', 16]);
  const scope = new ir.nn.Scope(b);
  const h = new ir.nn.Linear(scope.child('up'), 16, 32).forward(x).relu();
  const y = new ir.nn.Linear(scope.child('down'), 32, 16).forward(h).add(x);
  b.output('y', new ir.nn.LayerNorm(scope.child('norm'), 16, 1e-5).forward(y).softmax(-1).value);
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const tensorOf = (shape) => ir.tensor('f32', shape, Float32Array.from({ length: shape.reduce((a, n) => a * n, 1) }, random));
  const weights = new Map(b.graph.params.map((p) => [p.name, tensorOf(p.type.shape)]));
  const inputs = new Map([['x', tensorOf([2, 5, 16])]]);
  const want = ir.interpret(b.graph, inputs, weights).get('y').data;
  const results = {};
  for (const name of ['js', 'wasm']) {
    const exe = await backends.getBackend(name).compile(b.graph, weights);
    const got = (await exe.run(inputs)).get('y').data;
    results[name] = { length: got.length, maxError: Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]))) };
    exe.dispose();
  }
  const files = [...(await backends.getBackend('wasm').exportFiles(b.graph, weights)).keys()];
  await report({ want: want.length, results, files });
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>
`;

describeBrowser('the browser bundle in Chromium', () => {
  it('builds, compiles (js, wasm), runs and exports a graph like the interpreter', { timeout: 180_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-bundle-'));
    try {
      fs.writeFileSync(path.join(dir, 'smelt.browser.js'), (await bundle()).code);
      fs.writeFileSync(path.join(dir, 'open.html'), PAGE);
      const r = await runPage(dir, 'open.html', 120_000, ['--disable-gpu']) as {
        error?: string; want: number; results: Record<string, { length: number; maxError: number }>; files: string[];
      };
      expect(r.error).toBeUndefined();
      expect(r.want).toBe(2 * 5 * 16);
      for (const name of ['js', 'wasm']) {
        expect(r.results[name].length, name).toBe(r.want);
        expect(r.results[name].maxError, name).toBeLessThanOrEqual(1e-5);
      }
      expect(r.files).toEqual(expect.arrayContaining(['model.wasm', 'model.bin', 'model.js', 'model.d.ts']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
