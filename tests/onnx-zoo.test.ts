// ONNX import of the model zoo's GPT-2, BERT and Llama, written in plain PyTorch (scripts/hf_models.py)
// and exported by scripts/onnx_models.py at opsets 14 and 17 with dynamic batch and sequence: each
// runs on every backend (and the relaxed and two-thread wasm builds) equal to ONNX Runtime on the
// same file to 1e-4, and fuses its attention and norms like the DSL-built zoo model of the same config.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Graph, opCounts } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { getBackend } from '@smelt/backends';
import { buildZooModel, parseConfig } from '@smelt/models';
import { readOnnx } from '@smelt/onnx/node';
import { describeIfAvailable } from './gate.ts';
import { TARGETS, ZOO_CASES, caseInputs, fixturesUnavailable, maxAbsDiff, onnxFixtures, ortRun, smeltInputs } from './onnx-fixtures.ts';

const file = (name: string) => path.join(onnxFixtures(), `${name}.onnx`);
const UNAVAILABLE = new Map(await Promise.all(TARGETS.map(async (t) => [t.backend, await getBackend(t.backend).unavailableReason()] as const)));

/** The configs of scripts/make_zoo_goldens.py, which scripts/onnx_models.py exports. */
const CONFIGS = {
  gpt2: { model: 'gpt2', vocabSize: 50, maxPositions: 32, dModel: 32, nHead: 4, numLayers: 2, dimFeedforward: 128, layerNormEps: 1e-5 },
  bert: { model: 'bert', vocabSize: 40, maxPositions: 16, typeVocabSize: 2, dModel: 32, nHead: 4, numLayers: 2, dimFeedforward: 64, layerNormEps: 1e-12, numLabels: 3 },
  llama: { model: 'llama', vocabSize: 64, maxPositions: 64, dModel: 64, nHead: 8, nKvHead: 2, numLayers: 2, dimFeedforward: 96, rmsNormEps: 1e-6, ropeTheta: 10000 },
} as const;

const counts = (g: Graph) => opCounts(compileGraph(g).graph);

describeIfAvailable('onnx', 'PyTorch and python3-onnx', fixturesUnavailable(), 'ONNX import of GPT-2, BERT and Llama', () => {
  beforeAll(() => { onnxFixtures(); }, 600_000);

  describe.each(ZOO_CASES.map((c) => [c]))('%s', (name) => {
    it.each(TARGETS.map((t) => [t.name, t] as const))('on %s equals ONNX Runtime to 1e-4', { timeout: 600_000 }, async (_, target) => {
      const why = UNAVAILABLE.get(target.backend);
      if (why) {
        if (process.env.CI === 'true') throw new Error(`backend ${target.backend} is unavailable in CI: ${why}`);
        console.warn(`[onnx-zoo] ${target.name} skipped: ${why}`);
        return;
      }
      const m = readOnnx(file(name));
      const inputs = caseInputs(name);
      const want = await ortRun(file(name), inputs);
      const exe = await getBackend(target.backend).compile(m.graph, m.weights, target.options);
      try {
        const got = await exe.run(smeltInputs(inputs));
        expect([...got.keys()]).toEqual(['logits']);
        const logits = got.get('logits')!.data as Float32Array;
        expect(logits.every(Number.isFinite)).toBe(true);
        expect(maxAbsDiff(logits, want.get('logits')!), `${name} logits`).toBeLessThan(1e-4);
      } finally {
        exe.dispose();
      }
    });
  });

  // The attention of every layer fuses as in the DSL-built model: GPT-2's and Llama's masked fill
  // (finfo.min above the diagonal) becomes the causal flag; BERT's additive padding mask stays an operand.
  it.each([['gpt2', 14], ['gpt2', 17], ['bert', 14], ['bert', 17], ['llama', 14], ['llama', 17]] as const)('%s at opset %i fuses attention and norms like the DSL-built model', (model, opset) => {
    const dsl = counts(buildZooModel(parseConfig(CONFIGS[model]) as never, { attentionMask: true, tokenTypeIds: true }));
    const onnx = counts(readOnnx(file(`${model}-opset${opset}`)).graph);
    expect(dsl.attention).toBe(2);
    expect(onnx.attention).toBe(dsl.attention);
    // the norms after residual adds fuse the same: LayerNorm (GPT-2, BERT), RMSNorm in primitives (Llama)
    const norms = (c: Record<string, number>) => ['add_layer_norm', 'layer_norm', 'add_rms_norm', 'rms_norm'].map((k) => c[k] ?? 0);
    expect(norms(onnx)).toEqual(norms(dsl));
    expect(norms(dsl).reduce((a, b) => a + b)).toBeGreaterThan(0);
    expect(onnx.softmax ?? 0).toBe(0);
  });
});
