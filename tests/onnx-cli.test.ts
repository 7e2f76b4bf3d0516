// The model doors of the CLI: `smelt import M.onnx --out DIR` writes model.smelt and
// weights.safetensors; `smelt run --model` takes .onnx, .smelt (weights beside it), .json and a DSL
// module, inputs and outputs by the model's own names, and equals ONNX Runtime on the same file;
// `smelt inspect` and `smelt compile` take --model too. The ONNX model here is written in
// TypeScript (tests/onnx-build.ts), so these tests need no PyTorch.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { graphToJSON, parseGraph, tensor } from '@smelt/ir';
import { readSafetensors, writeSafetensors } from '@smelt/ir/node';
import { cli } from './cli-run.ts';
import { initWeights } from '@smelt/models';
import { encodeModel, mlpModel } from './onnx-build.ts';
import { maxAbsDiff, ortRun } from './onnx-fixtures.ts';


const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-doors-'));
const onnxFile = path.join(dir, 'mlp.onnx');
fs.writeFileSync(onnxFile, encodeModel(mlpModel()));
const inputs = new Map([['x', tensor('f32', [3, 4], Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)))]]);
const inputsFile = path.join(dir, 'inputs.safetensors');
writeSafetensors(inputsFile, inputs);
const want = (await ortRun(onnxFile, inputs)).get('y')!;

async function runModel(model: string, extra: string[] = []): Promise<Float32Array> {
  const out = path.join(fs.mkdtempSync(path.join(dir, 'run-')), 'out.safetensors');
  const r = await cli(['run', '--model', model, '--inputs', inputsFile, '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const got = readSafetensors(out);
  expect([...got.keys()]).toEqual(['y']);
  return got.get('y')!.data as Float32Array;
}

describe('CLI model doors', () => {
  it.each([['reference'], ['js'], ['wasm']])('run --model M.onnx --backend %s equals ONNX Runtime', async (backend) => {
    expect(maxAbsDiff(await runModel(onnxFile, ['--backend', backend]), want)).toBeLessThan(1e-4);
  });

  it('import writes model.smelt and weights.safetensors, and run --model model.smelt reads them back', async () => {
    const out = path.join(dir, 'imported');
    const r = await cli(['import', onnxFile, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('inputs: x f32[batch, 4]');
    expect(fs.readdirSync(out).sort()).toEqual(['model.smelt', 'weights.safetensors']);
    const g = parseGraph(fs.readFileSync(path.join(out, 'model.smelt'), 'utf8'));
    expect(g.params.map((p) => p.name).sort()).toEqual([...readSafetensors(path.join(out, 'weights.safetensors')).keys()].sort());
    expect(maxAbsDiff(await runModel(path.join(out, 'model.smelt')), want)).toBeLessThan(1e-4);
  });

  it('run --model M.json takes the graph JSON, its weights from --weights', async () => {
    const out = path.join(dir, 'imported');
    const json = path.join(dir, 'graph.json');
    fs.writeFileSync(json, JSON.stringify(graphToJSON(parseGraph(fs.readFileSync(path.join(out, 'model.smelt'), 'utf8')))));
    expect(maxAbsDiff(await runModel(json, ['--weights', path.join(out, 'weights.safetensors')]), want)).toBeLessThan(1e-4);
  });

  it('run --model module.ts builds the graph with the DSL; its weights from a sibling .safetensors', async () => {
    const mod = path.join(__dirname, 'onnx-dsl-module.ts');
    const { default: build } = await import('./onnx-dsl-module.ts');
    const weights = path.join(dir, 'dsl-weights.safetensors');
    writeSafetensors(weights, initWeights(build().graph, 3));
    const got = await runModel(mod, ['--weights', weights]);
    expect(got.length).toBe(9);
    expect(got[0] + got[1] + got[2]).toBeCloseTo(1, 5);
  });

  it('inspect and compile take --model', async () => {
    const r = await cli(['inspect', '--model', onnxFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/linear\s+0 → 1/);
    expect(r.stdout).toContain("ops (before → after): 6 → 3");
    const out = path.join(dir, 'compiled');
    const c = await cli(['compile', '--model', onnxFile, '--target', 'js', '--out', out]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain(`weights: ${onnxFile}`);
    expect(fs.existsSync(path.join(out, 'model.js'))).toBe(true);
  });

  it('names what is wrong: both --config and --model, an unknown format, a missing input, no weights', async () => {
    const bad = async (argv: string[], message: string) => {
      const r = await cli(argv);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(message);
    };
    const o = path.join(dir, 'never.safetensors');
    await bad(['run', '--model', onnxFile, '--config', 'c.json', '--inputs', inputsFile, '--out', o], 'give --config or --model, not both');
    await bad(['run', '--model', path.join(dir, 'm.pt'), '--inputs', inputsFile, '--out', o], 'unknown model format ".pt"');
    const empty = path.join(dir, 'empty.safetensors');
    writeSafetensors(empty, new Map([['z', tensor('f32', [1])]]));
    await bad(['run', '--model', onnxFile, '--inputs', empty, '--out', o], 'missing input "x" (expected f32 [batch, 4]');
    await bad(['run', '--model', path.join(__dirname, 'onnx-dsl-module.ts'), '--inputs', inputsFile, '--out', o], 'the model has parameters but no weights');
    expect(fs.existsSync(o)).toBe(false);
  });
});
