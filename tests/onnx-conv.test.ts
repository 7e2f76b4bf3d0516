// ONNX Conv with one spatial axis, imported as smelt's conv1d: nn.Conv1d stacks exported from
// plain PyTorch (padding, dilation, stride 2 with groups) and small hand-written files with unequal
// pads and auto_pad run on every backend equal to ONNX Runtime; a 2-D Conv is refused naming the node.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '@smelt/ir';
import { getBackend } from '@smelt/backends';
import { OnnxUnsupportedError, importOnnx } from '@smelt/onnx';
import { readOnnx } from '@smelt/onnx/node';
import { describeIfAvailable } from './gate.ts';
import { type ModelSpec, encodeModel, f32Initializer, valueInfo } from './onnx-build.ts';
import { CONV_CASES, TARGETS, caseInputs, fixturesUnavailable, maxAbsDiff, onnxFixtures, ortRun, smeltInputs } from './onnx-fixtures.ts';

const UNAVAILABLE = new Map(await Promise.all(TARGETS.map(async (t) => [t.backend, await getBackend(t.backend).unavailableReason()] as const)));

/** Run a file on a target and on ONNX Runtime; the largest difference over every output. */
async function differenceFromOrt(file: string, inputs: Map<string, Tensor>, target: (typeof TARGETS)[number]): Promise<number | undefined> {
  const why = UNAVAILABLE.get(target.backend);
  if (why) {
    if (process.env.CI === 'true') throw new Error(`backend ${target.backend} is unavailable in CI: ${why}`);
    console.warn(`[onnx-conv] ${target.name} skipped: ${why}`);
    return undefined;
  }
  const want = await ortRun(file, inputs);
  const m = readOnnx(file);
  const exe = await getBackend(target.backend).compile(m.graph, m.weights, target.options);
  try {
    const got = await exe.run(smeltInputs(inputs));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    return Math.max(...[...want].map(([k, w]) => maxAbsDiff(got.get(k)!.data as Float32Array, w)));
  } finally {
    exe.dispose();
  }
}

const FLOAT = 1;
const seeded = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.7));

/** x [batch, 2, L] through one Conv of kernel 4 (weight [3, 2, 4], bias [3]) with the given attributes. */
function convModel(attrs: NonNullable<ModelSpec['nodes'][number]['attrs']>, length: number | string): ModelSpec {
  return {
    nodes: [{ op: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs }],
    inputs: [valueInfo('x', FLOAT, ['batch', 2, length])],
    outputs: [valueInfo('y', FLOAT, ['batch', 3, 'out'])],
    initializers: [f32Initializer('w', [3, 2, 4], seeded(24, 1)), f32Initializer('b', [3], seeded(3, 2))],
  };
}

const HAND_WRITTEN: [string, ModelSpec][] = [
  ['pads [1, 2]', convModel({ pads: [1, 2] }, 'length')],
  ['auto_pad SAME_UPPER', convModel({ auto_pad: 'SAME_UPPER' }, 'length')],
  ['auto_pad SAME_LOWER, stride 2', convModel({ auto_pad: 'SAME_LOWER', strides: [2] }, 9)],
  ['auto_pad VALID, stride 3', convModel({ auto_pad: 'VALID', strides: [3] }, 9)],
];

describe('ONNX Conv (1-D), hand-written', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-conv-'));
  const x = tensor('f32', [2, 2, 9]);
  x.data.forEach((_, i) => (x.data[i] = Math.cos(i * 0.3)));

  describe.each(HAND_WRITTEN)('%s', (label, spec) => {
    const file = path.join(dir, `${label.replace(/\W+/g, '-')}.onnx`);
    fs.writeFileSync(file, encodeModel(spec));
    it.each(TARGETS.map((t) => [t.name, t] as const))('on %s equals ONNX Runtime', { timeout: 300_000 }, async (_, target) => {
      const d = await differenceFromOrt(file, new Map([['x', x]]), target);
      if (d !== undefined) expect(d).toBeLessThan(1e-5);
    });
  });

  it('refuses a 2-D Conv and a list attribute of two entries, naming the node', () => {
    const twoD: ModelSpec = { ...convModel({}, 9), inputs: [valueInfo('x', FLOAT, ['batch', 2, 9, 9])] };
    expect(() => importOnnx(encodeModel(twoD), { file: 'm.onnx' })).toThrow(OnnxUnsupportedError);
    expect(() => importOnnx(encodeModel(twoD), { file: 'm.onnx' })).toThrow(/node "conv" \(Conv, domain "ai\.onnx", opset 17\): only 1-D Conv is supported/);
    expect(() => importOnnx(encodeModel(convModel({ strides: [1, 1] }, 9)), { file: 'm.onnx' })).toThrow(/attribute strides = \[1,1\] is not supported \(supported: one entry/);
  });
});

describeIfAvailable('onnx', 'PyTorch and python3-onnx', fixturesUnavailable(), 'ONNX Conv (1-D), from PyTorch nn.Conv1d', () => {
  beforeAll(() => { onnxFixtures(); }, 600_000);

  describe.each(CONV_CASES.map((c) => [c]))('%s', (name) => {
    it.each(TARGETS.map((t) => [t.name, t] as const))('on %s equals ONNX Runtime to 1e-4', { timeout: 300_000 }, async (_, target) => {
      const d = await differenceFromOrt(path.join(onnxFixtures(), `${name}.onnx`), caseInputs(name), target);
      if (d !== undefined) expect(d).toBeLessThan(1e-4);
    });
  });

  it('imports each nn.Conv1d as one conv1d, the length symbolic where the file says so', () => {
    const m = readOnnx(path.join(onnxFixtures(), 'conv-opset17.onnx'));
    expect(m.graph.nodes.filter((n) => n.op === 'conv1d').length).toBe(2);
    expect(m.graph.outputs[0].value.type.shape).toEqual(['batch', 'length', 3]);
  });
});
