// One input check on every path that runs a model (packages/backends/src/input-check.ts): the same
// bad input gets the same message, before any kernel runs, from the reference interpreter, js, wasm
// (one and two threads), webgpu, and the model.js of a js and of a wasm export: sources or targets
// longer than the positional table (js wrote NaN logits, webgpu plausible numbers), token ids outside
// the vocabulary (webgpu returned numbers), an empty source (NaN on wasm and webgpu, numbers on the
// others), a wrong dtype, shape or data array. Inputs may be a Map or a plain object everywhere.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, bindShape, tensor } from '@smelt/ir';
import { compileGraph, inputContract } from '@smelt/compiler';
import { checkInputs, getBackend } from '@smelt/backends';
import { exportJsModule, exportWasm } from '@smelt/backends/node';
import { type ModelConfig, buildSeq2Seq, parseConfig } from '@smelt/models';
import { randomWeights } from './fixtures.ts';

const CONFIG = parseConfig({
  model: 'seq2seq', dModel: 16, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 24,
  activation: 'relu', layerNormEps: 1e-5, normFirst: false, srcVocab: 9, tgtVocab: 10, maxLen: 8, bos: 1, maxDecode: 4,
} satisfies ModelConfig);
const graph = buildSeq2Seq(CONFIG as Extract<ModelConfig, { model: 'seq2seq' }>);
const weights = randomWeights(graph, 4);

const ids = (shape: [number, number], at: (i: number) => number = (i) => (i % 7) + 1) => tensor('i32', shape, Int32Array.from({ length: shape[0] * shape[1] }, (_, i) => at(i)));
const good = () => new Map<string, Tensor>([['src', ids([2, 3])], ['tgt', ids([2, 4])]]);
const withInput = (name: string, t: Tensor) => new Map([...good(), [name, t]]);

const BAD: [string, Map<string, Tensor>, string][] = [
  ['a target longer than the positional table', withInput('tgt', ids([2, 9])),
    'input "tgt": dim 1 (tgtLen) is 9, more than 8: the graph slices tgtLen entries out of a tensor of shape [8, 16]'],
  ['a source longer than the positional table', withInput('src', ids([2, 12])),
    'input "src": dim 1 (srcLen) is 12, more than 8: the graph slices srcLen entries out of a tensor of shape [8, 16]'],
  ['a source token id past the vocabulary', withInput('src', ids([2, 3], (i) => (i === 5 ? 9 : 1))),
    'input "src": value 9 at [1, 2] is out of range [0, 9): it indexes a table of shape [9, 16]'],
  ['a negative target token id', withInput('tgt', ids([2, 4], (i) => (i === 4 ? -1 : 1))),
    'input "tgt": value -1 at [1, 0] is out of range [0, 10): it indexes a table of shape [10, 16]'],
  ['an empty source', withInput('src', ids([2, 0])),
    'input "src": dim 1 (srcLen) is 0: an empty input is refused (a symbolic dim must be at least 1)'],
  ['a batch the inputs disagree on', withInput('tgt', ids([3, 4])), 'input "tgt": expected shape [batch, tgtLen], got [3, 4] (batch is already 2)'],
  ['a wrong dtype', withInput('src', tensor('f32', [2, 3])), 'input "src": expected dtype i32, got f32 [2, 3]'],
  ['data of the wrong length', withInput('src', { dtype: 'i32', shape: [2, 3], data: new Int32Array(5) }),
    'input "src": data must be a Int32Array of 6 elements, got Int32Array of 5'],
  ['a missing input', new Map([['src', ids([2, 3])]]), 'missing input "tgt": expected i32[batch, tgtLen]'],
];

interface Runner { readonly name: string; run(inputs: ReadonlyMap<string, Tensor> | Record<string, Tensor>): Promise<Map<string, Tensor>>; dispose(): void }

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

interface LoadedModel { run(inputs: unknown): Record<string, Tensor> | Promise<Record<string, Tensor>>; dispose(): void }

/** The model.js of an export, imported here; its outputs as a Map. */
async function exported(name: string, write: (dir: string) => Promise<unknown>, load: (mod: { load(o?: object): Promise<LoadedModel> }) => Promise<LoadedModel>): Promise<Runner> {
  const dir = tmp('smelt-input-check-');
  dirs.push(dir);
  await write(dir);
  const model = await load(await import(pathToFileURL(path.join(dir, 'model.js')).href));
  return {
    name,
    run: async (inputs) => new Map(Object.entries(await model.run(inputs))),
    dispose: () => model.dispose(),
  };
}

async function runners(): Promise<Runner[]> {
  const out: Runner[] = [];
  const variants: [string, string, object][] = [['reference', 'reference', {}], ['js', 'js', {}], ['wasm', 'wasm', {}], ['wasm, 2 threads', 'wasm', { threads: 2 }], ['webgpu', 'webgpu', {}]];
  for (const [name, backend, options] of variants) {
    const b = getBackend(backend);
    const why = await b.unavailableReason();
    if (why) {
      console.warn(`[input-check] skipping ${name}: ${why}`);
      continue;
    }
    const exe = await b.compile(graph, weights, options);
    out.push({ name, run: (inputs) => exe.run(inputs), dispose: () => exe.dispose() });
  }
  const plan = compileGraph(graph).plan;
  out.push(await exported('js export', async (dir) => exportJsModule(plan, weights, dir), (m) => m.load()));
  out.push(await exported('wasm export, 2 threads', (dir) => exportWasm(plan, weights, dir), (m) => m.load({ threads: 2 })));
  return out;
}

describe('the input check, on every path', async () => {
  const all = await runners();
  afterAll(() => { for (const r of all) r.dispose(); });

  it.each(BAD)('%s: the same message everywhere', async (_name, inputs, message) => {
    for (const r of all) {
      await expect(r.run(inputs), r.name).rejects.toThrow(message);
      await expect(r.run(Object.fromEntries(inputs)), `${r.name}, inputs as an object`).rejects.toThrow(message);
    }
  });

  it('takes inputs as a Map or as a plain object, with the same results, after the failed runs', async () => {
    const want = (await all[0].run(good())).get('logits')!;
    for (const r of all) {
      for (const [how, inputs] of [['a Map', good()], ['an object', Object.fromEntries(good())]] as const) {
        const got = (await r.run(inputs)).get('logits')!;
        expect(got.shape, `${r.name}, ${how}`).toEqual(want.shape);
        const worst = Math.max(...Array.from(got.data as Float32Array, (x, i) => Math.abs(x - (want.data as Float32Array)[i])));
        expect(worst, `${r.name}, ${how}`).toBeLessThan(1e-4);
      }
    }
  });
});

describe('checkInputs', () => {
  const contract = inputContract(graph);

  it('binds the symbols and gives their values', () => {
    expect(checkInputs(contract, good())).toEqual(new Map([['batch', 2], ['srcLen', 3], ['tgtLen', 4]]));
  });

  it('says what the interpreter says about a symbol bound twice', () => {
    const env = new Map([['batch', 2], ['tgtLen', 4]]);
    let interpreter = '';
    try { bindShape('tgt', ['batch', 'tgtLen'], [3, 4], env); } catch (e) { interpreter = (e as Error).message; }
    expect(interpreter).not.toBe('');
    expect(() => checkInputs(contract, withInput('tgt', ids([3, 4])))).toThrow(interpreter);
  });

  it('counts only own properties of a plain object', () => {
    const inputs = Object.create({ tgt: ids([2, 4]) }) as Record<string, Tensor>;
    inputs.src = ids([2, 3]);
    expect(() => checkInputs(contract, inputs)).toThrow('missing input "tgt"');
  });
});
