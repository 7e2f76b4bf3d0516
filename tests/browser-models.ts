// What the browser tests share: a small seq2seq model, its two input cases, the page that imports
// an exported model.js and runs every case (a test supplies only how to load and what to report),
// and the check of the page's logits against the interpreter.

import fs from 'node:fs';
import path from 'node:path';
import { type Graph, type Tensor, interpret, tensor } from '@smelt/ir';
import type { ModelConfig } from '@smelt/models';
import { make } from './op-cases.ts';
import { expectClose } from './wasm-suite.ts';

export function browserSeq2Seq(activation: 'relu' | 'gelu', normFirst: boolean): ModelConfig {
  return {
    model: 'seq2seq', dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64,
    activation, layerNormEps: 1e-5, normFirst, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4,
  };
}

/** Two sequence lengths through one loaded model. */
export const CASES: readonly Map<string, Tensor>[] = [[6, 4], [9, 7]].map(([src, tgt]) => new Map<string, Tensor>([
  ['src', make('i32', [1, src], (i) => (i * 5 + 1) % 11)], ['tgt', make('i32', [1, tgt], (i) => (i * 3 + 2) % 13)],
]));

export type Logits = { readonly shape: number[]; readonly data: number[] };

/**
 * Write inputs.json and `page` into `dir`: a module script that imports ./model.js as `load`,
 * defines `report(json)` (POSTs to /result) and `runCases(model)` (every case, awaited, → logits),
 * then runs `body`; any error is reported as `{ error }`.
 */
export function writePage(dir: string, page: string, body: string): void {
  const json = CASES.map((s) => Object.fromEntries([...s].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Int32Array) }])));
  fs.writeFileSync(path.join(dir, 'inputs.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, page), `<!doctype html>
<script type="module">
const report = (body) => fetch('/result', { method: 'POST', body: JSON.stringify(body) });
try {
  const { load } = await import('./model.js');
  const cases = await (await fetch('./inputs.json')).json();
  const runCases = async (model) => {
    const results = [];
    for (const c of cases) {
      const inputs = Object.fromEntries(Object.entries(c).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Int32Array.from(t.data) }]));
      const out = await model.run(inputs);
      results.push({ shape: out.logits.shape, data: Array.from(out.logits.data) });
    }
    return results;
  };
${body}
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>
`);
}

/** The page's logits for CASES against the interpreter, to 1e-4. */
export function expectLogits(results: readonly Logits[], graph: Graph, weights: ReadonlyMap<string, Tensor>, what: string): void {
  CASES.forEach((set, i) => {
    const want = interpret(graph, set, weights).get('logits')!;
    expectClose(tensor('f32', results[i].shape, Float32Array.from(results[i].data)), want, `${what}, case ${i}: logits`);
  });
}
