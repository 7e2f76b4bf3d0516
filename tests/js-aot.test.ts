// AOT export of the JS backend: exportJsModule writes model.js, model.d.ts, weights.safetensors and
// package.json; the folder, copied outside the repository, runs in a fresh Node process that cannot
// resolve any smelt package (NODE_PATH unset), and gives what the interpreter gives. The .d.ts is
// type-checked against a consumer that uses the named, typed inputs and outputs.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { writeSafetensors } from '@smelt/ir/node';
import { compileGraph } from '@smelt/compiler';
import { exportJsModule } from '@smelt/backends/node';
import { buildSeq2SeqEncoder } from '@smelt/models';
import { SMALL_SEQ2SEQ, randomWeights } from './fixtures.ts';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Run `script` (an ES module body) with node in `cwd`, without NODE_PATH; its stdout parsed as JSON. */
function nodeJson(cwd: string, script: string): Record<string, { dtype: string; shape: number[]; data: (number | null)[] }> {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, env, encoding: 'utf8' });
  return JSON.parse(out);
}

const RUN = `
import fs from 'node:fs';
import { load, readSafetensors, MODEL } from './model.js';
const model = await load();
const inputs = readSafetensors(new Uint8Array(fs.readFileSync('inputs.safetensors')));
const out = model.run(inputs);
const json = {};
for (const o of MODEL.outputs) json[o.name] = { dtype: out[o.name].dtype, shape: out[o.name].shape, data: Array.from(out[o.name].data, Number) };
let smelt = 'not resolvable';
try { await import('@smelt/ir'); smelt = 'resolvable'; } catch {}
json.smelt = { dtype: smelt, shape: [], data: [] };
process.stdout.write(JSON.stringify(json));
`;

const CONSUMER = `
import { load, type Inputs, type Outputs } from './model.js';
const model = await load();
const src: Inputs['src'] = { dtype: 'i32', shape: [1, 3], data: new Int32Array([1, 2, 3]) };
const out: Outputs = model.run({ src });
const memory: Float32Array = out.memory.data;
// @ts-expect-error: the input is i32, not f32
model.run({ src: { dtype: 'f32', shape: [1, 3], data: new Float32Array(3) } });
export const n: number = memory.length;
`;

describe('JS AOT export', () => {
  const graph = buildSeq2SeqEncoder(SMALL_SEQ2SEQ);
  const weights = randomWeights(graph, 5);
  const plan = compileGraph(graph).plan;
  const exported = exportJsModule(plan, weights, path.join(tmp('smelt-aot-'), 'out'));
  const dir = tmp('smelt-aot-copy-');
  for (const f of exported.files) fs.copyFileSync(f, path.join(dir, path.basename(f)));

  it('writes model.js, model.d.ts, weights.safetensors and package.json; model.js imports nothing', () => {
    expect(exported.files.map((f) => path.basename(f))).toEqual(['model.js', 'model.d.ts', 'weights.safetensors', 'package.json']);
    const js = fs.readFileSync(path.join(dir, 'model.js'), 'utf8');
    expect(js).not.toMatch(/^\s*import\s/m);
    expect(js).not.toMatch(/from\s*['"]|require\(|import\(\s*['"](?!node:fs\/promises)/);
    expect(fs.readFileSync(path.join(dir, 'model.d.ts'), 'utf8')).toMatch(/\/\*\* i32\[batch, srcLen\] \*\/\s+readonly "src": TensorOf<"i32", Int32Array>;/);
  });

  it('runs in a fresh Node process outside the repository, at two sequence lengths, like the interpreter', () => {
    expect(dir.startsWith(path.resolve(__dirname, '..'))).toBe(false);
    for (const [batch, len] of [[2, 5], [1, 9]]) {
      const src = tensor('i32', [batch, len], Int32Array.from({ length: batch * len }, (_, i) => (i * 7) % SMALL_SEQ2SEQ.srcVocab));
      writeSafetensors(path.join(dir, 'inputs.safetensors'), { src });
      const got = nodeJson(dir, RUN);
      expect(got.smelt.dtype).toBe('not resolvable');
      const want = interpret(graph, new Map([['src', src]]), weights).get('memory') as Tensor;
      expect(got.memory.shape).toEqual(want.shape);
      const w = want.data as Float32Array;
      got.memory.data.forEach((v, i) => expect(Math.abs((v as number) - w[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(w[i]))));
    }
  });

  it('declares typed named inputs and outputs (model.d.ts type-checks a consumer)', () => {
    fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
    const program = ts.createProgram([path.join(dir, 'consumer.ts')], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  });
});
