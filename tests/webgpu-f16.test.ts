// Precision f16 on the WebGPU backend (webgpu/precision.ts): the WGSL it generates (matmuls enable
// f16 and read their f16 weights, every other kernel is the f32 text), the error naming the feature
// and the adapter where shader-f16 is missing (hidden from the real adapter here), and, where the
// adapter has it, the Transformer models against the interpreter to F16_TOLERANCE at two sequence
// lengths through one executable, with both matmul templates.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, Var, input, interpret, tensor } from '@smelt/ir';
import { type ModelConfig, buildModel } from '@smelt/models';
import { PORTABLE_TARGET, generatePrograms } from '../packages/backends/src/webgpu/codegen.ts';
import { compileWebGpu, planFor } from '../packages/backends/src/webgpu/index.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { WEBGPU_F16_UNAVAILABLE, describeWebGpu, expectClose } from './webgpu-suite.ts';

/**
 * Products of f16-rounded operands summed four at a time in f16, accumulated in f32: errors of a
 * few 1e-3 on these models (absolute below 1, relative above, as expectClose measures); 2e-2 leaves
 * a tenfold margin.
 */
const F16_TOLERANCE = 2e-2;

const CORE = {
  dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64, activation: 'relu', layerNormEps: 1e-5, normFirst: false,
} as const;
const TORCH: ModelConfig = { model: 'torch-transformer', ...CORE };
const SEQ2SEQ: ModelConfig = { model: 'seq2seq', ...CORE, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4 };

function inputsFor(cfg: ModelConfig, src: number, tgt: number): Map<string, Tensor> {
  const seq = cfg.model === 'seq2seq';
  const ids = (vocab: number, len: number) => make('i32', [2, len], (i) => (i * 7 + 3) % vocab);
  const pad = (len: number) => tensor('bool', [2, len], Uint8Array.from({ length: 2 * len }, (_, i) => +(i >= 2 * len - 2)));
  return new Map([
    ['src', seq ? ids(cfg.srcVocab, src) : make('f32', [2, src, cfg.dModel])],
    ['tgt', seq ? ids(cfg.tgtVocab, tgt) : make('f32', [2, tgt, cfg.dModel])],
    ['src_key_padding_mask', pad(src)],
  ]);
}

describe('webgpu precision f16: generated WGSL', () => {
  const plan = planFor(buildModel(SEQ2SEQ, { srcPadding: true }));
  const f32 = generatePrograms(plan, PORTABLE_TARGET);
  const f16 = generatePrograms(plan, PORTABLE_TARGET, { precision: 'f16' });

  it('f16 only in matmul kernels, which read f16 weights; every other kernel is the f32 text', () => {
    expect([...f32.prologue, ...f32.kernels].some((p) => /enable f16|f16>/.test(p.wgsl))).toBe(false);
    expect(f16.half.size).toBeGreaterThan(0);
    plan.kernels.forEach((k, i) => {
      const text = f16.kernels[i].wgsl;
      if (k.kind !== 'matmul') return expect(text, k.label).toBe(f32.kernels[i].wgsl);
      expect(text, k.label).toMatch(/^\/\/ smelt kernel: .*\nenable f16;\n/);
      expect(text, k.label).toMatch(/acc\[\d+\] \+= vec4<f32>\(/);
      if (f16.half.has(f16.kernels[i].bindings[1].buffer)) expect(text, k.label).toMatch(/@binding\(2\) var<storage, read> b2: array<(vec4<f16>|f16)>;/);
    });
  });

  it('stores as f16 only fixed f32 buffers that nothing but matmul operands read', () => {
    for (const id of f16.half) {
      const b = plan.buffers[id];
      expect(b.dtype).toBe('f32');
      expect(['weight', 'constant', 'derived']).toContain(b.storage.kind);
    }
    const embedding = plan.buffers.find((b) => b.storage.kind === 'weight' && b.storage.name === 'src_embed.weight')!;
    expect(f16.half.has(embedding.id), 'a gathered table stays f32').toBe(false);
    expect([...f16.half].some((id) => plan.buffers[id].storage.kind === 'derived'), 'the split cross-attention weights').toBe(true);
  });
});

describeWebGpu('webgpu precision f16: adapters', () => {
  const graph = buildModel(TORCH, { srcPadding: true });
  const weights = randomWeights(graph, 7);

  it('names the feature and the adapter where shader-f16 is missing', async () => {
    const gpu = (globalThis as unknown as { GPU: { prototype: { requestAdapter: (...a: unknown[]) => Promise<GPUAdapter | null> } } }).GPU.prototype;
    const original = gpu.requestAdapter;
    gpu.requestAdapter = async function (this: unknown, ...args: unknown[]) {
      const adapter = await original.apply(this, args);
      if (adapter) Object.defineProperty(adapter, 'features', { value: new Set([...adapter.features].filter((f) => f !== 'shader-f16')) });
      return adapter;
    };
    try {
      await expect(compileWebGpu(graph, weights, { precision: 'f16' })).rejects.toThrow(
        /^webgpu: precision f16 needs the adapter feature shader-f16, which \S.* does not have$/,
      );
    } finally {
      gpu.requestAdapter = original;
    }
  });

  if (WEBGPU_F16_UNAVAILABLE) console.warn(`[webgpu] skipped the f16 runs: ${WEBGPU_F16_UNAVAILABLE}`);

  // Numerics at the edges under f16: activations beyond ±65504 saturate as the matmul loads them, a
  // weight beyond it is refused by name, an f16-subnormal weight (1e-6) is kept or lost within the tolerance.
  it.skipIf(WEBGPU_F16_UNAVAILABLE !== undefined)('f16 overflow and subnormals: activations saturate, a weight beyond ±65504 is refused by name', { timeout: 300_000 }, async () => {
    const b = new GraphBuilder('f16_edges');
    const x = input(b, 'x', 'f32', ['n', 4]);
    const w = new Var(b, b.param('w', 'f32', [4, 2]));
    b.output('y', x.matmul(w).value);
    const weight = (v: number) => new Map([['w', tensor('f32', [4, 2], Float32Array.from([1, 0, 0, 1, v, 0, 0, 1e-6]))]]);
    const exe = await compileWebGpu(b.graph, weight(0.5), { precision: 'f16' });
    try {
      const y = (await exe.run({ x: tensor('f32', [2, 4], Float32Array.from([1e5, -1e5, 2, 3, 1, 1, 1, 1])) })).get('y')!.data as Float32Array;
      // ±1e5 load as ±65504 (saturated, not inf); the f16 sum of four products then rounds in steps of 32.
      expect(Math.abs(y[0] - 65505), `${y[0]}`).toBeLessThanOrEqual(32);
      expect(Math.abs(y[1] + 65504), `${y[1]}`).toBeLessThanOrEqual(32);
      expect(Math.abs(y[3] - (1 + 1e-6))).toBeLessThan(F16_TOLERANCE);
    } finally {
      exe.dispose();
    }
    await expect(compileWebGpu(b.graph, weight(1e5), { precision: 'f16' })).rejects.toThrow(`precision 'f16': weight "w" holds 100000 at element 4, beyond f16's ±65504`);
  });
  const cases = [[TORCH, 'auto'], [SEQ2SEQ, 'auto'], [SEQ2SEQ, 'workgroup']] as const;
  for (const [cfg, matmul] of cases) {
    it.skipIf(WEBGPU_F16_UNAVAILABLE !== undefined)(`${cfg.model} (matmul ${matmul}) within ${F16_TOLERANCE} of the interpreter, two lengths`, { timeout: 300_000 }, async () => {
      const g = buildModel(cfg, { srcPadding: true });
      const w = randomWeights(g, 7);
      const exe = await compileWebGpu(g, w, { precision: 'f16', matmul });
      try {
        for (const [src, tgt] of [[7, 5], [12, 9]]) {
          const inputs = inputsFor(cfg, src, tgt);
          const got = await exe.run(inputs);
          for (const [name, t] of interpret(g, inputs, w)) expectClose(got.get(name), t, `${cfg.model} src ${src} tgt ${tgt}: ${name}`, F16_TOLERANCE);
        }
      } finally {
        exe.dispose();
      }
    });
  }
});
