// Exported generators in a browser (headless Chromium): model.js imports encode/model.js and
// step/model.js, which fetch their own files, and runs smelt's generation loop; generate() and
// stream() give the in-process generator's tokens on the same backend (greedy, sampled with a seed,
// beam search; a batch with source padding and eos) with the caches kept in the step part (the
// in-process byte counts), and bad options get the in-process messages.
// js and wasm (one thread, and two Web Workers per part on the cross-origin isolated page), and
// webgpu on navigator.gpu (SwiftShader where there is no GPU), each from `smelt compile --graph generator`.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { readSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import { CHROMIUM, describeBrowser, runPage } from './browser.ts';
import { describeIfAvailable } from './gate.ts';
import {
  DECODE_JS, type Decoded, EXPECTED_ERRORS, casesJson, decodeInProcess, expectResidentCaches, expectSameTokens, writeGeneratorModel,
} from './generator-aot.ts';
import { WEBGPU_UNAVAILABLE } from './webgpu-suite.ts';

/** Chromium's WebGPU without a GPU: SwiftShader behind the unsafe-WebGPU switch (as webgpu-browser.test.ts). */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

interface PageResult {
  readonly error?: string;
  readonly decoded: Decoded;
  readonly errors: string[];
  /** wasm: the same with load({ threads: 2 }). */
  readonly threaded?: { readonly threads: number; readonly decoded: Decoded };
}

/** The page: load the generator (`loadArgs`), decode every case, and for wasm again with two threads. */
function page(loadArgs: string, threaded: boolean): string {
  const decode = (gen: string) => `await (async (gen) => {${DECODE_JS}\n  return { decoded, errors };\n})(${gen})`;
  return `<!doctype html>
<script type="module">
const report = (body) => fetch('/result', { method: 'POST', body: JSON.stringify(body) });
try {
  const { load } = await import('./model.js');
  const cases = await (await fetch('./cases.json')).json();
  const one = await load(${loadArgs});
  const result = ${decode('one')};
  one.dispose();
  if (${threaded}) {
    const two = await load({ threads: 2 });
    result.threaded = { threads: navigator.hardwareConcurrency >= 2 ? 2 : 1, decoded: (${decode('two')}).decoded };
    two.dispose();
  }
  await report(result);
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>
`;
}

async function exportGenerator(target: 'js' | 'wasm' | 'webgpu'): Promise<{ dir: string; weights: string }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gen-browser-'));
  const m = writeGeneratorModel(root);
  const dir = path.join(root, 'site');
  expect(await main(['compile', '--config', m.config, '--weights', m.weights, '--target', target, '--graph', 'generator', '--mask', 'src', '--out', dir, '--quiet'])).toBe(0);
  fs.writeFileSync(path.join(dir, 'cases.json'), casesJson());
  return { dir, weights: m.weights };
}

describeBrowser('exported generators in a browser', () => {
  it.each(['js', 'wasm'] as const)('%s: generate() and stream() in Chromium give the in-process tokens', { timeout: 240_000 }, async (target) => {
    const { dir, weights } = await exportGenerator(target);
    fs.writeFileSync(path.join(dir, 'index.html'), page('', target === 'wasm'));
    const r = await runPage(dir, 'index.html', 180_000, ['--disable-gpu']) as PageResult;
    expect(r.error).toBeUndefined();
    const want = await decodeInProcess(target, readSafetensors(weights));
    expectSameTokens(r.decoded, want, `${target} export in Chromium`);
    expectResidentCaches(r.decoded, want, target, `${target} export in Chromium`);
    expect(r.errors).toEqual(EXPECTED_ERRORS);
    if (target === 'wasm') {
      expectSameTokens(r.threaded!.decoded, want, 'wasm export in Chromium, two threads');
      expectResidentCaches(r.threaded!.decoded, want, target, 'wasm export in Chromium, two threads');
    }
  });

});

/** The tokens to compare with come from the in-process webgpu backend (Dawn), so this needs an adapter in Node too. */
const WEBGPU_IN_BROWSER = WEBGPU_UNAVAILABLE ?? (CHROMIUM ? undefined : 'no Chromium (see tests/browser.ts)');

describeIfAvailable('webgpu', 'a WebGPU adapter and Chromium', WEBGPU_IN_BROWSER, 'an exported webgpu generator in a browser', () => {
  it('webgpu: generate() and stream() with navigator.gpu give the in-process tokens', { timeout: 300_000 }, async () => {
    const { dir, weights } = await exportGenerator('webgpu');
    fs.writeFileSync(path.join(dir, 'index.html'), page('{ gpu: navigator.gpu }', false));
    const r = await runPage(dir, 'index.html', 240_000, WEBGPU_FLAGS) as PageResult;
    expect(r.error).toBeUndefined();
    const want = await decodeInProcess('webgpu', readSafetensors(weights));
    expectSameTokens(r.decoded, want, 'webgpu export in Chromium');
    expectResidentCaches(r.decoded, want, 'webgpu', 'webgpu export in Chromium');
    expect(r.errors).toEqual(EXPECTED_ERRORS);
  });
});
