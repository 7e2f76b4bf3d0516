// The Transformer models of the spec on the wasm backend against the interpreter, to 1e-4:
// torch-transformer (dModel 32, 4 heads, 2+2 layers, ff 64) with source and target padding masks,
// and seq2seq of the same size, each at two sequence lengths through one module, for every build;
// plus a pre-norm GELU variant (the erf polynomial in the matmul epilogue). On the relaxed build,
// two threads give the same bits as one on the whole model; under simd 'auto' the threaded build
// is relaxed where the engine accepts relaxed SIMD over a shared memory (it does in Node 20).

import { describe, expect, it } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/models';
import { compileWasm, emitWasm, relaxedSimdAvailable, wasmPlan } from '../packages/backends/src/wasm/index.ts';
import { relaxedThreadsKnown } from '../packages/backends/src/wasm/runtime/features.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { BUILDS, WASM, describeBuild, expectClose, expectIdentical } from './wasm-suite.ts';

const CORE = {
  dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64, activation: 'relu', layerNormEps: 1e-5, normFirst: false,
} as const;
const TORCH: ModelConfig = { model: 'torch-transformer', ...CORE };
const SEQ2SEQ: ModelConfig = { model: 'seq2seq', ...CORE, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4 };
const PRE_NORM_GELU: ModelConfig = { ...TORCH, activation: 'gelu', normFirst: true };

/** Padding masks: the last `pad[b]` positions of batch row b are padding (never position 0). */
function padding(batch: number, len: number, pad: readonly number[]): Tensor {
  return tensor('bool', [batch, len], Uint8Array.from({ length: batch * len }, (_, i) => +(i % len >= len - pad[Math.floor(i / len)])));
}

function inputsFor(cfg: ModelConfig, src: number, tgt: number): Map<string, Tensor> {
  const ids = (vocab: number, len: number) => make('i32', [2, len], (i) => (i * 7 + 3) % vocab);
  return new Map([
    ['src', cfg.model === 'seq2seq' ? ids(cfg.srcVocab, src) : make('f32', [2, src, cfg.dModel])],
    ['tgt', cfg.model === 'seq2seq' ? ids(cfg.tgtVocab, tgt) : make('f32', [2, tgt, cfg.dModel])],
    ['src_key_padding_mask', padding(2, src, [0, 2])],
    ['tgt_key_padding_mask', padding(2, tgt, [1, 0])],
  ]);
}

for (const build of BUILDS) {
  describe(`wasm backend, ${describeBuild(build)}: Transformer models vs the interpreter`, () => {
    for (const cfg of [TORCH, SEQ2SEQ, PRE_NORM_GELU]) {
      it(`${cfg.model} (${cfg.activation}, ${cfg.normFirst ? 'pre' : 'post'}-norm) with padding masks, two sequence lengths, one module`, async () => {
        const graph = buildModel(cfg, { srcPadding: true, tgtPadding: true });
        const weights = randomWeights(graph, 7);
        const exe = await compileWasm(graph, weights, build);
        try {
          for (const [src, tgt] of [[7, 5], [13, 16]]) {
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
}

describe('wasm backend, relaxed SIMD with threads', () => {
  it('two threads give the same bits as one on a whole seq2seq model', async () => {
    const graph = buildModel(SEQ2SEQ, { srcPadding: true, tgtPadding: true });
    const weights = randomWeights(graph, 7);
    const [one, two] = [await compileWasm(graph, weights, { simd: 'relaxed' }), await compileWasm(graph, weights, { simd: 'relaxed', threads: 2 })];
    try {
      for (const [src, tgt] of [[7, 5], [13, 16]]) {
        const inputs = inputsFor(SEQ2SEQ, src, tgt);
        const [a, b] = [await one.run(inputs), await two.run(inputs)];
        for (const [name, t] of a) expectIdentical(b.get(name)!, t, `src ${src} tgt ${tgt}: ${name}`);
      }
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it("'auto' picks the relaxed threaded build where the engine validates it", async () => {
    const plan = wasmPlan(buildModel(TORCH, {}));
    expect(await relaxedSimdAvailable()).toBe(true);
    expect(relaxedThreadsKnown()).toBe(true);
    const relaxed = emitWasm(plan, { threads: 2 }).program;
    expect(relaxed.options).toEqual({ simd: 'relaxed', threads: true });
    expect(WASM.validate(relaxed.bytes)).toBe(true);
    expect(emitWasm(plan, { simd: 'plain', threads: 2 }).program.options).toEqual({ simd: 'plain', threads: true });
  });
});
