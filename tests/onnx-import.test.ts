// ONNX import: models exported from plain PyTorch (tests/onnx-fixtures.ts: nn.Transformer post- and
// pre-norm with padding masks at opsets 14 and 17, a file without dim_param, one with external data,
// the seq2seq encoder and decoder halves) are imported and run on every backend, equal to ONNX
// Runtime's outputs on the same file to 1e-4; the imported Transformer fuses like the DSL-built one
// (the same attention and add_layer_norm counts), and its dims are the file's dim_param names.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Graph, opCounts } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { backendNames, getBackend } from '@smelt/backends';
import { buildModel, parseConfig } from '@smelt/models';
import { readOnnx } from '@smelt/onnx/node';
import { describeIfAvailable } from './gate.ts';
import { CASES, caseInputs, fixturesUnavailable, maxAbsDiff, onnxFixtures, ortRun, smeltInputs } from './onnx-fixtures.ts';

const file = (name: string) => path.join(onnxFixtures(), `${name}.onnx`);
const NAMES = backendNames();
const UNAVAILABLE = new Map(await Promise.all(NAMES.map(async (n) => [n, await getBackend(n).unavailableReason()] as const)));

function fusedCounts(g: Graph): { attention: number; add_layer_norm: number } {
  const c = opCounts(compileGraph(g).graph);
  return { attention: c.attention ?? 0, add_layer_norm: c.add_layer_norm ?? 0 };
}

describeIfAvailable('onnx', 'PyTorch and python3-onnx', fixturesUnavailable(), 'ONNX import', () => {
  beforeAll(() => { onnxFixtures(); }, 600_000);

  describe.each(CASES.map((c) => [c]))('%s', (name) => {
    it.each(NAMES.map((n) => [n]))('on %s equals ONNX Runtime to 1e-4', { timeout: 600_000 }, async (backend) => {
      const why = UNAVAILABLE.get(backend);
      if (why) {
        if (process.env.CI === 'true') throw new Error(`backend ${backend} is unavailable in CI: ${why}`);
        console.warn(`[onnx-import] ${backend} skipped: ${why}`);
        return;
      }
      const m = readOnnx(file(name));
      const inputs = caseInputs(name);
      const want = await ortRun(file(name), inputs);
      const exe = await getBackend(backend).compile(m.graph, m.weights);
      try {
        const got = await exe.run(smeltInputs(inputs));
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [k, w] of want) expect(maxAbsDiff(got.get(k)!.data as Float32Array, w), `${name} ${k}`).toBeLessThan(1e-4);
      } finally {
        exe.dispose();
      }
    });
  });

  it.each([
    ['transformer-post-opset17', false, true], ['transformer-post-opset14', false, true],
    ['transformer-pre-opset17', true, false], ['transformer-pre-opset14', true, false],
  ] as const)('%s fuses like the DSL-built nn.Transformer', (name, normFirst, masks) => {
    const cfg = parseConfig({
      model: 'torch-transformer', dModel: 16, nHead: 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32,
      activation: normFirst ? 'gelu' : 'relu', layerNormEps: 1e-5, normFirst,
    });
    const dsl = fusedCounts(buildModel(cfg, { srcPadding: masks, tgtPadding: masks }));
    expect(dsl).toEqual({ attention: 2 + 2 * 2, add_layer_norm: 2 * 2 + 3 * 2 });
    expect(fusedCounts(readOnnx(file(name)).graph)).toEqual(dsl);
  });

  it('names dims by dim_param, and keeps the sizes of a file without them', () => {
    const dims = (name: string) => readOnnx(file(name)).graph.inputs.map((v) => `${v.name}: [${v.type.shape.join(', ')}]`);
    expect(dims('transformer-post-opset17')).toEqual([
      'src: [batch, srcLen, 16]', 'tgt: [batch, tgtLen, 16]', 'src_key_padding_mask: [batch, srcLen]', 'tgt_key_padding_mask: [batch, tgtLen]',
    ]);
    expect(dims('transformer-static')).toEqual(['src: [2, 5, 16]', 'tgt: [2, 4, 16]']);
  });

  it('reads the weights of a model with external data from its data file', () => {
    const m = readOnnx(file('transformer-external'));
    const inline = readOnnx(file('transformer-post-opset17'));
    expect(m.weights.size).toBe(inline.weights.size);
    expect(m.weights.size).toBeGreaterThan(0);
  });
});
