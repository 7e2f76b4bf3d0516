// `smelt compile --target onnx --out DIR`: DIR/model.onnx from a config (the trained toy seq2seq)
// or a --model file (an ONNX model written in TypeScript, tests/onnx-build.ts), run by ONNX Runtime
// to the interpreter's outputs under the model's own names; an export that fails names the node and
// op and writes nothing (DIR is not created, a previous export stays whole).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpret, tensor } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { buildModel, readConfig } from '@smelt/models';
import { readOnnx } from '@smelt/onnx/node';
import { cli } from './cli-run.ts';
import { encodeModel, mlpModel } from './onnx-build.ts';
import { expectOutputs, ortOutputs, tensorOutputs } from './onnx-export-util.ts';

const ROOT = path.resolve(__dirname, '..');
const TOY = path.join(ROOT, 'examples/transformer/toy-reverse');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-export-'));
const ids = (shape: number[]) => tensor('i32', shape, Int32Array.from({ length: shape[0] * shape[1] }, (_, i) => 3 + (i * 7) % 9));

describe('smelt compile --target onnx', () => {
  it('writes DIR/model.onnx of a config that ONNX Runtime runs to the interpreter\'s outputs', async () => {
    const out = path.join(dir, 'toy');
    const r = await cli(['compile', '--config', path.join(TOY, 'config.json'), '--weights', path.join(TOY, 'weights.safetensors'), '--target', 'onnx', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/as ONNX \(opset 17\): wrote model\.onnx to /);
    expect(fs.readdirSync(out)).toEqual(['model.onnx']);
    const inputs = new Map([['src', ids([2, 6])], ['tgt', ids([2, 5])]]);
    const graph = buildModel(readConfig(path.join(TOY, 'config.json')));
    const want = interpret(graph, inputs, readSafetensors(path.join(TOY, 'weights.safetensors')));
    expectOutputs(await ortOutputs(path.join(out, 'model.onnx'), inputs), tensorOutputs(want), 'toy seq2seq');
  });

  it('exports a --model file under its own names, and replaces a previous ONNX export', async () => {
    const model = path.join(dir, 'mlp.onnx');
    fs.writeFileSync(model, encodeModel(mlpModel()));
    const out = path.join(dir, 'mlp');
    for (let i = 0; i < 2; i++) expect((await cli(['compile', '--model', model, '--target', 'onnx', '--out', out, '--quiet'])).code).toBe(0);
    const back = readOnnx(path.join(out, 'model.onnx'));
    const original = readOnnx(model);
    expect(back.graph.inputs.map((v) => v.name)).toEqual(original.graph.inputs.map((v) => v.name));
    expect(back.graph.outputs.map((o) => o.name)).toEqual(original.graph.outputs.map((o) => o.name));
    const inputs = new Map([['x', tensor('f32', [3, 4], Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)))]]);
    expectOutputs(await ortOutputs(path.join(out, 'model.onnx'), inputs), await ortOutputs(model, inputs), 'mlp re-exported');
  });

  it('names the node and op it cannot export, and creates no DIR', async () => {
    const model = path.join(dir, 'unbound.smelt');
    fs.writeFileSync(model, 'graph @g {\n  input %x : f32[n]\n  %0 = iota() {shape = [k], axis = 0, dtype = f32} : f32[k]\n  output y = %0\n}\n');
    const out = path.join(dir, 'never');
    const r = await cli(['compile', '--model', model, '--target', 'onnx', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/node y \(op iota\): ONNX export does not support it: dim symbol k is bound by no graph input's shape/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('never'))).toEqual([]);
  });

  it('refuses --graph generator (the generation loop is JavaScript)', async () => {
    const out = path.join(dir, 'gen');
    const r = await cli(['compile', '--config', path.join(TOY, 'config.json'), '--graph', 'generator', '--target', 'onnx', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--graph generator is the generation loop in JavaScript; --target onnx writes one graph/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
