// AOT export of the wasm backend: a Transformer plan written to a folder (model.wasm, the relaxed
// and threaded builds, the weights image, model.js, model.d.ts), the folder copied elsewhere under
// the temp dir, and loaded by a fresh Node process that imports only model.js; its outputs must
// match the interpreter to 1e-4 at two sequence lengths, and load({ threads: 2 }) must give the
// single-thread outputs exactly. (The browser, with Web Workers: wasm-browser.test.ts.) With int8
// weights the image is about 4× smaller (f16: 2×), and the exported model matches the interpreter
// on the dequantized weights to 1e-4, on one and two threads alike.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/models';
import { wasmPlan } from '@smelt/backends';
import { type WeightsDType, quantizedWeights } from '@smelt/compiler';
import { dequantizedWeights } from '../packages/backends/src/quantize.ts';
import { exportWasm } from '@smelt/backends/node';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { expectClose } from './wasm-suite.ts';

const CFG: ModelConfig = {
  model: 'seq2seq', dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64,
  activation: 'gelu', layerNormEps: 1e-5, normFirst: false, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4,
};

/** The child: import model.js from the copied folder, run each input set, print outputs as JSON. */
const CHILD = `
const [dir, inputsFile, threads] = process.argv.slice(1);
const { load } = await import(new URL('model.js', 'file://' + dir + '/').href);
const model = await load({ threads: Number(threads) });
const cases = JSON.parse(await (await import('node:fs/promises')).readFile(inputsFile, 'utf8'));
const arrays = { f32: Float32Array, i32: Int32Array, bool: Uint8Array };
const results = cases.map((c) => {
  const inputs = Object.fromEntries(Object.entries(c).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: arrays[t.dtype].from(t.data) }]));
  const out = model.run(inputs);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]));
});
model.dispose();
console.log(JSON.stringify({ simd: model.simd, threads: model.threads, results }));
`;

const toJson = (m: Map<string, Tensor>) => Object.fromEntries([...m].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Float32Array) }]));

function inputs(src: number, tgt: number): Map<string, Tensor> {
  return new Map([
    ['src', make('i32', [2, src], (i) => (i * 5 + 1) % 11)],
    ['tgt', make('i32', [2, tgt], (i) => (i * 3 + 2) % 13)],
    ['src_key_padding_mask', tensor('bool', [2, src], Uint8Array.from({ length: 2 * src }, (_, i) => +(i >= 2 * src - 2)))],
  ]);
}

describe('wasm AOT export', () => {
  const graph = buildModel(CFG, { srcPadding: true });
  const weights = randomWeights(graph, 5);
  const imageBytes = new Map<WeightsDType, number>();

  for (const dtype of ['f32', 'int8', 'f16'] as const) {
    it(`loads in a fresh Node process from a copied folder and matches the interpreter (weights ${dtype})`, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-wasm-export-'));
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-wasm-copy-'));
      try {
        const plan = wasmPlan(graph);
        const { files } = await exportWasm(plan, weights, out, dtype);
        expect(files.map((f) => path.basename(f)).sort()).toEqual([
          'model-relaxed.wasm', 'model-threads-relaxed.wasm', 'model-threads.wasm', 'model.bin', 'model.d.ts', 'model.js', 'model.wasm',
        ]);
        imageBytes.set(dtype, fs.statSync(path.join(out, 'model.bin')).size);
        fs.cpSync(out, copy, { recursive: true });
        expect(fs.readFileSync(path.join(copy, 'model.js'), 'utf8')).not.toMatch(/smelt\//);
        expect(fs.readFileSync(path.join(copy, 'model.d.ts'), 'utf8')).toMatch(/readonly "src_key_padding_mask": Tensor<"bool">;/);
        const sets = [inputs(7, 5), inputs(12, 9)];
        const inputsFile = path.join(copy, 'inputs.json');
        fs.writeFileSync(inputsFile, JSON.stringify(sets.map(toJson)));
        type Child = { simd: string; threads: number; results: Record<string, { dtype: 'f32'; shape: number[]; data: number[] }>[] };
        const child = (threads: number): Child => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, copy, inputsFile, String(threads)], { encoding: 'utf8' }));
        const { simd, threads, results } = child(1);
        expect([simd, threads]).toEqual(['relaxed', 1]);
        const threaded = child(2);
        expect(threaded.threads).toBe(Math.min(2, os.availableParallelism()));
        expect(threaded.results, 'threads: 2 gives the single-thread outputs exactly').toEqual(results);
        const oracle = dequantizedWeights(plan, weights, dtype);
        sets.forEach((set, i) => {
          const want = interpret(graph, set, oracle).get('logits')!;
          const got = results[i].logits;
          expectClose(tensor('f32', got.shape, Float32Array.from(got.data)), want, `set ${i}: logits`);
        });
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
        fs.rmSync(copy, { recursive: true, force: true });
      }
    });
  }

  it('int8 weights shrink the weights image by 3/4 of the matmul weights (less their scales), f16 by 1/2', () => {
    const [f32, int8, f16] = (['f32', 'int8', 'f16'] as const).map((d) => imageBytes.get(d)!);
    console.log(`wasm AOT model.bin: f32 ${f32} bytes, int8 ${int8} (${(f32 / int8).toFixed(2)}× smaller), f16 ${f16} (${(f32 / f16).toFixed(2)}×)`);
    const plan = wasmPlan(graph);
    const matrices = [...quantizedWeights(plan).matrices].map(([id, { transB }]) => {
      const [r, c] = (plan.buffers[id].shape as number[]).slice(-2);
      return transB ? [c, r] : [r, c];
    });
    // Panels pad columns to 8; int8 adds a f32 scale per padded column; each placement aligns to 16 bytes.
    const bytes = ([k, n]: number[]) => ({ k, n: Math.ceil(n / 8) * 8 });
    const f32Bytes = matrices.reduce((sum, s) => sum + bytes(s).k * bytes(s).n * 4, 0);
    const scaleBytes = matrices.reduce((sum, s) => sum + bytes(s).n * 4, 0);
    const slack = 32 * matrices.length + 64;
    expect(Math.abs(f32 - int8 - (0.75 * f32Bytes - scaleBytes))).toBeLessThanOrEqual(slack);
    expect(Math.abs(f32 - f16 - 0.5 * f32Bytes)).toBeLessThanOrEqual(slack);
    // This model is tiny (d 32): embeddings, positions, norms and biases are a larger share than in W-small.
    expect(f32 / int8).toBeGreaterThan(2.9);
    expect(f32 / f16).toBeGreaterThan(1.8);
  });
});
