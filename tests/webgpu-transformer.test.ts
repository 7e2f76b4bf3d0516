// The Transformer models of the spec on the WebGPU backend against the interpreter, to 1e-4:
// torch-transformer (dModel 32, 4 heads, 2+2 layers, ff 64) with source and target padding masks,
// and seq2seq of the same size, each at two sequence lengths through one executable.

import { it } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/models';
import { compileWebGpu } from '../packages/backends/src/webgpu/index.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { describeWebGpu, expectClose } from './webgpu-suite.ts';

const CORE = {
  dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64, activation: 'relu', layerNormEps: 1e-5, normFirst: false,
} as const;
const TORCH: ModelConfig = { model: 'torch-transformer', ...CORE };
const SEQ2SEQ: ModelConfig = { model: 'seq2seq', ...CORE, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4 };

/** Padding masks: the last `pad[b]` positions of batch row b are padding (never position 0). */
function padding(batch: number, len: number, pad: readonly number[]): Tensor {
  return tensor('bool', [batch, len], Uint8Array.from({ length: batch * len }, (_, i) => +(i % len >= len - pad[Math.floor(i / len)])));
}

function inputsFor(cfg: ModelConfig, src: number, tgt: number): Map<string, Tensor> {
  const seq = cfg.model === 'seq2seq';
  const ids = (vocab: number, len: number) => make('i32', [2, len], (i) => (i * 7 + 3) % vocab);
  return new Map([
    ['src', seq ? ids(cfg.srcVocab, src) : make('f32', [2, src, cfg.dModel])],
    ['tgt', seq ? ids(cfg.tgtVocab, tgt) : make('f32', [2, tgt, cfg.dModel])],
    ['src_key_padding_mask', padding(2, src, [0, 2])],
    ['tgt_key_padding_mask', padding(2, tgt, [1, 0])],
  ]);
}

describeWebGpu('webgpu backend: Transformer models vs the interpreter', () => {
  for (const cfg of [TORCH, SEQ2SEQ]) {
    it(`${cfg.model} with padding masks, two sequence lengths, one executable`, { timeout: 180_000 }, async () => {
      const graph = buildModel(cfg, { srcPadding: true, tgtPadding: true });
      const weights = randomWeights(graph, 7);
      const exe = await compileWebGpu(graph, weights);
      try {
        for (const [src, tgt] of [[7, 5], [12, 9]]) {
          const inputs = inputsFor(cfg, src, tgt);
          const want = interpret(graph, inputs, weights);
          const got = await exe.run(inputs);
          for (const [name, t] of want) expectClose(got.get(name), t, `${cfg.model} src ${src} tgt ${tgt}: ${name}`);
        }
      } finally {
        exe.dispose();
      }
    });
  }
});
