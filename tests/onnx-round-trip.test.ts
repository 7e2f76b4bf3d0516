// ONNX → smelt → ONNX: every PyTorch-exported model of scripts/onnx_models.py (tests/onnx-fixtures.ts
// CASES, ZOO_CASES: GPT-2, BERT, Llama, CONV_CASES: nn.Conv1d) imported, exported again (raw, and
// after the compiler's pipeline), and run by ONNX Runtime to the outputs ONNX Runtime gives on the
// original file within 1e-4; the exported file imported once more runs on the interpreter to the
// first import's outputs. Inputs that are int64 in the original come back int32 (smelt computes ids
// in 32 bits), so those are fed as int32.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { interpret } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { exportOnnx, importOnnx } from '@smelt/onnx';
import { readOnnx } from '@smelt/onnx/node';
import { describeIfAvailable } from './gate.ts';
import { CASES, CONV_CASES, ZOO_CASES, caseInputs, fixturesUnavailable, onnxFixtures, smeltInputs } from './onnx-fixtures.ts';
import { checkModels, expectOutputs, ortOutputs, tensorOutputs } from './onnx-export-util.ts';

const file = (name: string) => path.join(onnxFixtures(), `${name}.onnx`);

describeIfAvailable('onnx', 'PyTorch and python3-onnx', fixturesUnavailable(), 'ONNX round trips', () => {
  beforeAll(() => { onnxFixtures(); }, 600_000);

  describe.each([...CASES, ...ZOO_CASES, ...CONV_CASES].map((c) => [c]))('%s', (name) => {
    it.each([['raw'], ['optimized']])('imported and exported %s, runs in ONNX Runtime as the original does (1e-4)', async (variant) => {
      const m = readOnnx(file(name));
      const bytes = exportOnnx(variant === 'raw' ? m.graph : compileGraph(m.graph).graph, m.weights);
      const want = await ortOutputs(file(name), caseInputs(name));
      const got = await ortOutputs(bytes, smeltInputs(caseInputs(name)));
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      expectOutputs(got, want, `${name} (${variant})`);
      expect(checkModels(new Map([[name, bytes]])).get(name)).toBe('ok');
    });

    it('exported and imported again, runs on the interpreter to the first import\'s outputs', () => {
      const m = readOnnx(file(name));
      const back = importOnnx(exportOnnx(m.graph, m.weights), { file: `${name} re-exported` });
      const inputs = smeltInputs(caseInputs(name));
      const got = interpret(back.graph, inputs, back.weights);
      expectOutputs(tensorOutputs(got), tensorOutputs(interpret(m.graph, inputs, m.weights)), name);
      expect(back.graph.inputs.map((v) => `${v.name}: [${v.type.shape.join(', ')}]`)).toEqual(m.graph.inputs.map((v) => `${v.name}: [${v.type.shape.join(', ')}]`));
    });
  });
});
