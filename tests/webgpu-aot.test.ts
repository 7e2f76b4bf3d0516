// AOT export of the WebGPU backend: exportWebGpu writes the .wgsl files (exactly codegen's texts
// for the portable target), weights.bin, model.js, model.d.ts and package.json. The folder, copied
// outside the repository, is loaded by a fresh Node process that resolves only the `webgpu`
// package (a node_modules symlink; no smelt package), hands model.js `create([])`, and runs a small
// model whose names need escaping and a seq2seq Transformer at two sequence lengths through one
// loaded model, to 1e-4 of the interpreter; exported with precision f16 (where the adapter has
// shader-f16), to the 2e-2 of webgpu-f16.test.ts; and with int8 weights (weightsDtype), whose
// weights.bin is about 4× smaller, to 1e-4 of the interpreter on the dequantized weights.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type Graph, GraphBuilder, type Tensor, Var, input, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/models';
import { PORTABLE_TARGET, generatePrograms } from '../packages/backends/src/webgpu/codegen.ts';
import { planFor } from '@smelt/backends';
import { exportWebGpu } from '@smelt/backends/node';
import { referenceBackend } from '../packages/backends/src/reference.ts';
import { dequantizedWeights } from '../packages/backends/src/quantize.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { WEBGPU_F16_UNAVAILABLE, describeWebGpu, expectClose } from './webgpu-suite.ts';

const ODD_INPUT = 'x "in"\u2028\\';
const ODD_OUTPUT = "y'</script>\n";

/** x @ w + b, relu: a model whose input, weight, symbol and output names need escaping. */
function smallModel(): { graph: Graph; weights: Map<string, Tensor> } {
  const b = new GraphBuilder('small "model"\u2029');
  const x = input(b, ODD_INPUT, 'f32', ['rows', 8]);
  const w = new Var(b, b.param('w.weight "odd"', 'f32', [8, 6]));
  const bias = new Var(b, b.param('b\u2028ias', 'f32', [6]));
  b.output(ODD_OUTPUT, x.matmul(w).add(bias).relu().value);
  return { graph: b.graph, weights: randomWeights(b.graph, 3) };
}

const SEQ2SEQ: ModelConfig = {
  model: 'seq2seq', dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64,
  activation: 'gelu', layerNormEps: 1e-5, normFirst: false, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4,
};

/** Two rows; the second row's last two positions padded (`allTgtPadded`: every target position of both rows). */
function seq2seqInputs(src: number, tgt: number, allTgtPadded = false): Map<string, Tensor> {
  const pad = (len: number) => tensor('bool', [2, len], Uint8Array.from({ length: 2 * len }, (_, i) => +(i >= 2 * len - 2)));
  return new Map([
    ['src', make('i32', [2, src], (i) => (i * 5 + 1) % 11)],
    ['tgt', make('i32', [2, tgt], (i) => (i * 3 + 2) % 13)],
    ['src_key_padding_mask', pad(src)],
    ['tgt_key_padding_mask', allTgtPadded ? tensor('bool', [2, tgt], new Uint8Array(2 * tgt).fill(1)) : pad(tgt)],
  ]);
}

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** NaN and ±inf as strings in `data` (JSON has neither). */
interface JsonTensor { dtype: Tensor['dtype']; shape: number[]; data: (number | string)[] }
const toJson = (m: ReadonlyMap<string, Tensor>) =>
  Object.fromEntries([...m].map(([k, t]): [string, JsonTensor] => [k, { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<number>, Number) }]));
const fromJson = (t: JsonTensor) => tensor(t.dtype, t.shape, Float32Array.from(t.data, Number));

/** The child: load model.js with a Dawn GPU object, run every input set, print outputs and submits per run as JSON; then each bad set's error. */
const CHILD = `
import fs from 'node:fs';
import { create, globals } from 'webgpu';
import { load, MODEL } from './model.js';
let submits = 0;
const queue = globals.GPUQueue.prototype;
const submit = queue.submit;
queue.submit = function (...args) { submits++; return submit.apply(this, args); };
const gpu = create([]);
const model = await load({ gpu });
const perRun = [];
const arrays = { f32: Float32Array, i32: Int32Array, bool: Uint8Array };
const results = [];
for (const set of JSON.parse(fs.readFileSync('inputs.json', 'utf8'))) {
  const inputs = Object.fromEntries(Object.entries(set).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: arrays[t.dtype].from(t.data) }]));
  const before = submits;
  const out = await model.run(inputs);
  perRun.push(submits - before);
  // JSON has no NaN or inf: those travel as strings (fromJson's Float32Array.from reads them back).
  results.push(Object.fromEntries(MODEL.outputs.map((o) => [o.name, { dtype: out[o.name].dtype, shape: out[o.name].shape, data: Array.from(out[o.name].data, (v) => (Number.isFinite(Number(v)) ? Number(v) : String(v))) }])));
}
const errors = [];
for (const set of fs.existsSync('bad.json') ? JSON.parse(fs.readFileSync('bad.json', 'utf8')) : []) {
  const inputs = Object.fromEntries(Object.entries(set).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: arrays[t.dtype].from(t.data) }]));
  errors.push(await model.run(inputs).then(() => 'ran', (e) => e.message));
}
let smelt = 'not resolvable';
try { await import('@smelt/ir'); smelt = 'resolvable'; } catch {}
model.dispose();
process.stdout.write(JSON.stringify({ smelt, perRun, results, errors }));
process.exit(0);
`;

/** Copy an export outside the repository, with node_modules/webgpu linked to the real package. */
function copyWithWebgpu(from: string): string {
  const dir = tmp('smelt-webgpu-copy-');
  fs.cpSync(from, dir, { recursive: true });
  const pkg = path.dirname(createRequire(path.join(__dirname, '../packages/backends/package.json')).resolve('webgpu/package.json'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(pkg, path.join(dir, 'node_modules', 'webgpu'), 'dir');
  return dir;
}

/** Run CHILD in `dir` on `sets` (then `bad`), without NODE_PATH or NODE_OPTIONS. */
function runChild(dir: string, sets: readonly ReadonlyMap<string, Tensor>[], bad: readonly ReadonlyMap<string, Tensor>[] = []): { smelt: string; perRun: number[]; results: Record<string, JsonTensor>[]; errors: string[] } {
  fs.writeFileSync(path.join(dir, 'inputs.json'), JSON.stringify(sets.map(toJson)));
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad.map(toJson)));
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(stdout);
}

describe('webgpu AOT export: files', () => {
  const { graph, weights } = smallModel();
  const plan = planFor(graph);

  it('writes codegen\'s WGSL, weights.bin, model.js with no imports, and a model.d.ts that escapes names', async () => {
    const out = tmp('smelt-webgpu-export-');
    try {
      const { files } = await exportWebGpu(plan, weights, out);
      const names = files.map((f) => path.basename(f));
      const programs = generatePrograms(plan, PORTABLE_TARGET);
      const texts = [...new Set([...programs.prologue, ...programs.kernels].map((p) => p.wgsl))];
      expect(names.filter((n) => n.endsWith('.wgsl')).map((n) => fs.readFileSync(path.join(out, n), 'utf8'))).toEqual(texts);
      expect(names.filter((n) => !n.endsWith('.wgsl'))).toEqual(['weights.bin', 'model.js', 'model.d.ts', 'package.json']);
      expect(fs.statSync(path.join(out, 'weights.bin')).size).toBe(8 * 6 * 4 + 32);
      const js = fs.readFileSync(path.join(out, 'model.js'), 'utf8');
      expect(js).not.toMatch(/^\s*import\s|require\(|from\s*['"]/m);
      expect([...js.matchAll(/import\(\s*['"]([^'"]+)/g)].map((m) => m[1])).toEqual(['node:fs/promises']);
      expect(js).not.toMatch(/[\u2028\u2029]/);
      const dts = fs.readFileSync(path.join(out, 'model.d.ts'), 'utf8');
      expect(dts).toContain(`readonly ${JSON.stringify(ODD_INPUT).replace('\u2028', '\\u2028')}: Tensor<"f32">;`);
      expect(dts).toContain(`readonly ${JSON.stringify(ODD_OUTPUT)}: Tensor<"f32">;`);
      expect(dts).not.toMatch(/[\u2028\u2029]/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('declares typed inputs and outputs (model.d.ts type-checks a consumer)', async () => {
    const g = buildModel(SEQ2SEQ, { srcPadding: true });
    const out = tmp('smelt-webgpu-types-');
    try {
      await exportWebGpu(planFor(g), randomWeights(g, 5), out);
      fs.writeFileSync(path.join(out, 'consumer.ts'), `
import { load, type Inputs, type Outputs } from './model.js';
declare const gpu: { requestAdapter(): Promise<unknown> };
const model = await load({ gpu });
const src: Inputs['src'] = { dtype: 'i32', shape: [1, 3], data: new Int32Array([1, 2, 3]) };
const mask: Inputs['src_key_padding_mask'] = { dtype: 'bool', shape: [1, 3], data: new Uint8Array(3) };
const out: Outputs = await model.run({ src, tgt: src, src_key_padding_mask: mask });
const logits: Float32Array = out.logits.data;
// @ts-expect-error: src is i32, not f32
await model.run({ src: { dtype: 'f32', shape: [1, 3], data: new Float32Array(3) }, tgt: src, src_key_padding_mask: mask });
export const n: number = logits.length;
`);
      const program = ts.createProgram([path.join(out, 'consumer.ts')], {
        strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      });
      expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describeWebGpu('webgpu AOT export: a fresh Node process runs the copied folder', () => {
  it('a small model with names that need escaping, at two row counts, one submit per run', { timeout: 300_000 }, async () => {
    const { graph, weights } = smallModel();
    const out = tmp('smelt-webgpu-export-');
    const dir = copyWithWebgpu((await exportWebGpu(planFor(graph), weights, out)).dir);
    try {
      expect(dir.startsWith(path.resolve(__dirname, '..'))).toBe(false);
      const sets = [5, 70].map((n) => new Map([[ODD_INPUT, make('f32', [n, 8])]]));
      const { smelt, perRun, results } = runChild(dir, sets);
      expect(smelt).toBe('not resolvable');
      expect(perRun, 'queue.submit calls per run').toEqual([1, 1]);
      sets.forEach((set, i) => {
        const want = interpret(graph, set, weights).get(ODD_OUTPUT)!;
        expectClose(fromJson(results[i][ODD_OUTPUT]), want, `set ${i}`);
      });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const precision of ['f32', 'f16'] as const) {
    const skip = precision === 'f16' ? WEBGPU_F16_UNAVAILABLE : undefined;
    if (skip) console.warn(`[webgpu] skipped the f16 export run: ${skip}`);
    it.skipIf(skip !== undefined)(`the seq2seq Transformer (precision ${precision}) with padding masks, two sequence lengths through one loaded model`, { timeout: 300_000 }, async () => {
      const graph = buildModel(SEQ2SEQ, { srcPadding: true, tgtPadding: true });
      const weights = randomWeights(graph, 5);
      const out = tmp('smelt-webgpu-export-');
      const dir = copyWithWebgpu((await exportWebGpu(planFor(graph), weights, out, { precision })).dir);
      try {
        if (precision === 'f16') expect(fs.readFileSync(path.join(dir, 'model.d.ts'), 'utf8')).toContain('It needs the adapter feature shader-f16.');
        // The third set masks every target key: NaN rows, as in process (docs/ARCHITECTURE.md, numerics),
        // under f16 too (its matmuls keep a NaN activation NaN).
        const sets = [seq2seqInputs(7, 5), seq2seqInputs(12, 9), seq2seqInputs(7, 5, true)];
        // Inputs the shared check refuses (input-check.test.ts): the same messages as in process.
        const bad = [seq2seqInputs(7, SEQ2SEQ.maxLen + 1), new Map([...seq2seqInputs(7, 5), ['src', make('i32', [2, 7], (i) => (i === 3 ? 11 : 1))]])];
        const { results, errors } = runChild(dir, sets, bad);
        sets.forEach((set, i) => {
          const want = interpret(graph, set, weights).get('logits')!;
          expectClose(fromJson(results[i].logits), want, `set ${i}: logits`, precision === 'f16' ? 2e-2 : 1e-4);
        });
        expect(Array.from(fromJson(results[2].logits).data as Float32Array).every(Number.isNaN), 'every target masked: NaN logits').toBe(true);
        const reference = await referenceBackend.compile(graph, weights);
        expect(errors).toEqual(await Promise.all(bad.map((set) => reference.run(set).then(() => 'ran', (e: Error) => e.message))));
        expect(errors[0]).toMatch(/^input "tgt": dim 1 \(tgtLen\) is 17, more than 16/);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('the seq2seq Transformer with int8 weights: a smaller weights.bin, equal to the interpreter on the dequantized weights', { timeout: 300_000 }, async () => {
    const graph = buildModel(SEQ2SEQ, { srcPadding: true, tgtPadding: true });
    const weights = randomWeights(graph, 5);
    const plan = planFor(graph);
    const [f32Out, out] = [tmp('smelt-webgpu-export-'), tmp('smelt-webgpu-export-')];
    await exportWebGpu(plan, weights, f32Out);
    const dir = copyWithWebgpu((await exportWebGpu(plan, weights, out, { weightsDtype: 'int8' })).dir);
    try {
      const [f32Bytes, int8Bytes] = [f32Out, dir].map((d) => fs.statSync(path.join(d, 'weights.bin')).size);
      // d 32: embeddings, positions, norms and biases are a large share of this model.
      expect(int8Bytes).toBeLessThan(0.4 * f32Bytes);
      const sets = [seq2seqInputs(7, 5), seq2seqInputs(12, 3)];
      const { results } = runChild(dir, sets);
      const oracle = dequantizedWeights(plan, weights, 'int8');
      sets.forEach((set, i) => expectClose(fromJson(results[i].logits), interpret(graph, set, oracle).get('logits')!, `set ${i}: logits`));
    } finally {
      for (const d of [f32Out, out, dir]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
