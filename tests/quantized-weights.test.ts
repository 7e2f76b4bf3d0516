// Quantized weights (`weightsDtype` int8 and f16): which weights the plan quantizes; wasm's GEMM,
// which reads int8 panels with column scales or f16 panels (plain and relaxed SIMD, one and two
// threads), against the interpreter on the dequantized weights (the oracle) to 1e-4, its int8 tile
// (integers over int16-rounded rows, any row count) to the bound that rounding allows, output by
// output, with its overflow limit, NaN/infinity rows and the f32 fallback past its longest
// reduction; the js backend likewise; the wasm load-time memory, which keeps no f32 copy of a
// quantized weight (int8 saves 3/4 of their bytes, less the scales; f16 1/2); WebGPU's matmuls,
// which read them as u32 words and dequantize as they load (every template); and bad values.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, input, interpret, nn, tensor } from '@smelt/ir';
import { type KernelPlan, compileGraph, quantizedWeights } from '@smelt/compiler';
import { type ModelConfig, buildModel, readConfig } from '@smelt/models';
import path from 'node:path';
import { GOLDEN_DIR } from './golden-util.ts';
import { compileJs, getBackend } from '@smelt/backends';
import { compileWasm, emitWasm, wasmPlan } from '../packages/backends/src/wasm/index.ts';
import { dequantized, dequantizedWeights } from '../packages/backends/src/quantize.ts';
import { panelBytes } from '../packages/backends/src/wasm/codegen/memory-map.ts';
import { INT8_INTEGER_MAX_K, activationLimit } from '../packages/backends/src/wasm/kernels/gemm-int8.ts';
import { PORTABLE_TARGET, generatePrograms } from '../packages/backends/src/webgpu/codegen.ts';
import { compileWebGpu, planFor } from '../packages/backends/src/webgpu/index.ts';
import { describeWebGpu } from './webgpu-suite.ts';
import { randomWeights } from './fixtures.ts';
import { make } from './op-cases.ts';
import { expectClose, expectIdentical } from './wasm-suite.ts';

const CORE = {
  dModel: 32, nHead: 4, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 64, activation: 'gelu', layerNormEps: 1e-5, normFirst: false,
} as const;
const TORCH: ModelConfig = { model: 'torch-transformer', ...CORE, activation: 'relu' };
const SEQ2SEQ: ModelConfig = { model: 'seq2seq', ...CORE, srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4 };
/** The bench's W-base core (bench/README.md) as seq2seq: d 512, 8 heads, 6+6 layers, ff 2048, vocabularies 512. */
const W_BASE: ModelConfig = {
  model: 'seq2seq', dModel: 512, nHead: 8, numEncoderLayers: 6, numDecoderLayers: 6, dimFeedforward: 2048, activation: 'relu',
  layerNormEps: 1e-5, normFirst: false, srcVocab: 512, tgtVocab: 512, maxLen: 64, bos: 1, maxDecode: 32,
};

function inputsFor(cfg: ModelConfig, src: number, tgt: number): Map<string, Tensor> {
  const ids = (vocab: number, len: number) => make('i32', [2, len], (i) => (i * 7 + 3) % vocab);
  const pad = (len: number) => tensor('bool', [2, len], Uint8Array.from({ length: 2 * len }, (_, i) => +(i >= 2 * len - 2)));
  return new Map([
    ['src', cfg.model === 'seq2seq' ? ids(cfg.srcVocab, src) : make('f32', [2, src, cfg.dModel])],
    ['tgt', cfg.model === 'seq2seq' ? ids(cfg.tgtVocab, tgt) : make('f32', [2, tgt, cfg.dModel])],
    ['src_key_padding_mask', pad(src)],
  ]);
}

const nameOf = (plan: KernelPlan, id: number) => {
  const s = plan.buffers[id].storage;
  return s.kind === 'weight' ? s.name : `%${id} ${s.kind}`;
};

describe('which weights are quantized', () => {
  const plan = compileGraph(buildModel(SEQ2SEQ, { srcPadding: true })).plan;
  const q = quantizedWeights(plan);

  it('every Linear and attention projection weight and the generator; no embedding, norm or bias', () => {
    const names = [...q.weights.keys()].sort();
    const layer = (p: string, i: number) => [`${p}.${i}.linear1.weight`, `${p}.${i}.linear2.weight`, `${p}.${i}.self_attn.in_proj_weight`, `${p}.${i}.self_attn.out_proj.weight`];
    const want = [
      'generator.weight',
      ...[0, 1].flatMap((i) => layer('transformer.encoder.layers', i)),
      ...[0, 1].flatMap((i) => [...layer('transformer.decoder.layers', i), `transformer.decoder.layers.${i}.multihead_attn.in_proj_weight`, `transformer.decoder.layers.${i}.multihead_attn.out_proj.weight`]),
    ].sort();
    expect(names).toEqual(want);
    // torch's Linear weight is [out, in]: scales run along `in`, axis 1.
    for (const { kAxis } of q.weights.values()) expect(kAxis).toBe(1);
  });

  it('the split cross-attention weights (derived at load) are quantized matrices, read as B only', () => {
    const derived = [...q.matrices.keys()].filter((id) => plan.buffers[id].storage.kind === 'derived');
    expect(derived.length).toBe(2 * SEQ2SEQ.numDecoderLayers);
    for (const id of q.matrices.keys()) {
      for (const k of [...plan.prologue, ...plan.kernels]) {
        if (k.kind === 'matmul' && plan.kernels.includes(k)) expect(k.a, nameOf(plan, id)).not.toBe(id);
      }
    }
  });

  it('a weight read by anything else stays f32: a tied embedding (gather and output projection)', () => {
    const tied = compileGraph(buildModel(readConfig(path.join(GOLDEN_DIR, 'gpt2', 'config.json')))).plan;
    const names = [...quantizedWeights(tied).weights.keys()];
    expect(names).not.toContain('transformer.wte.weight');
    expect(names.length).toBeGreaterThan(0);
  });
});

describe('quantized values', () => {
  it('int8: a scale per output channel, max |w| / 127, round half away from zero; f16: nearest even', () => {
    const w = tensor('f32', [2, 4], Float32Array.of(1.27, -0.635, 0.005, 0, 0, 0, 0, 0));
    const int8 = dequantized('w', w, 1, 'int8').data as Float32Array;
    const s = Math.fround(1.27 / 127);
    expect(Array.from(int8)).toEqual([127, -64, 1, 0, 0, 0, 0, 0].map((q) => Math.fround(q * s)));
    const half = dequantized('w', tensor('f32', [1, 2], Float32Array.of(1 / 3, 65504)), 1, 'f16').data as Float32Array;
    expect(Array.from(half)).toEqual([0.333251953125, 65504]);
  });

  it('refuses weights the dtype cannot hold, naming the weight', () => {
    expect(() => dequantized('w.bad', tensor('f32', [1, 2], Float32Array.of(1, Number.NaN)), 1, 'int8')).toThrow(/weight "w.bad": NaN cannot be stored as int8/);
    expect(() => dequantized('w.big', tensor('f32', [1, 2], Float32Array.of(1, 70000)), 1, 'f16')).toThrow(/weight "w.big": 70000 is beyond ±65504/);
  });

  it('refuses an unknown weightsDtype on every backend, naming the allowed values', { timeout: 180_000 }, async () => {
    const b = new GraphBuilder('linear');
    b.output('y', new nn.Linear(new nn.Scope(b, 'fc'), 8, 4).forward(input(b, 'x', 'f32', ['rows', 8])).value);
    const graph = b.graph;
    const weights = randomWeights(graph, 3);
    for (const name of ['reference', 'js', 'wasm', 'webgpu']) {
      await expect(getBackend(name).compile(graph, weights, { weightsDtype: 'int4' as 'int8' }), name).rejects.toThrow(/weightsDtype must be one of f32, int8, f16, got "int4"/);
    }
  });
});

for (const weightsDtype of ['int8', 'f16'] as const) {
  describe(`weights ${weightsDtype}: backends against the interpreter on the dequantized weights`, () => {
    for (const cfg of [TORCH, SEQ2SEQ]) {
      const graph = buildModel(cfg, { srcPadding: true });
      const weights = randomWeights(graph, 7);
      const oracle = dequantizedWeights(compileGraph(graph).plan, weights, weightsDtype);
      const sets = [inputsFor(cfg, 7, 5), inputsFor(cfg, 13, 1)];
      const wants = sets.map((set) => interpret(graph, set, oracle));

      it(`${cfg.model}: the dequantized weights differ from f32 (the oracle is not f32)`, () => {
        const f32 = interpret(graph, sets[0], weights);
        const out = cfg.model === 'seq2seq' ? 'logits' : 'out';
        const a = f32.get(out)!.data as Float32Array;
        const b = wants[0].get(out)!.data as Float32Array;
        expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-5)).toBe(true);
      });

      for (const simd of ['plain', 'relaxed'] as const) {
        it(`${cfg.model}: wasm ${simd} SIMD equals the oracle to 1e-4 (a decode-sized row and a longer target)`, async () => {
          const exe = await compileWasm(graph, weights, { simd, weightsDtype });
          try {
            for (const [i, set] of sets.entries()) {
              const got = await exe.run(set);
              for (const [name, t] of wants[i]) expectClose(got.get(name), t, `${cfg.model} set ${i}: ${name}`);
            }
          } finally {
            exe.dispose();
          }
        });
      }

      it(`${cfg.model}: js (dequantized on load) equals the oracle to 1e-4`, async () => {
        const exe = await compileJs(graph, weights, { weightsDtype });
        for (const [i, set] of sets.entries()) {
          const got = await exe.run(set);
          for (const [name, t] of wants[i]) expectClose(got.get(name), t, `${cfg.model} set ${i}: ${name}`);
        }
        exe.dispose();
      });
    }

    it('wasm relaxed: two threads give the same bits as one', async () => {
      const graph = buildModel(SEQ2SEQ, { srcPadding: true });
      const weights = randomWeights(graph, 11);
      const set = inputsFor(SEQ2SEQ, 13, 9);
      const one = await compileWasm(graph, weights, { simd: 'relaxed', weightsDtype });
      const two = await compileWasm(graph, weights, { simd: 'relaxed', weightsDtype, threads: 2 });
      try {
        const [a, b] = [await one.run(set), await two.run(set)];
        expectIdentical(b.get('logits')!, a.get('logits')!, 'logits, 2 threads vs 1');
      } finally {
        one.dispose();
        two.dispose();
      }
    });
  });
}

/**
 * Expect int8 GEMV output `got` (y = x·Wᵀ + c, or xᵀ·W when `transA`) within the error the int16
 * quantization of x allows: per output, Σ_k |w'_jk| · s_a / 2 with s_a = max |x_row| / L
 * (gemm-int8.ts), plus f32 rounding of both sums.
 */
function expectWithinActivationRounding(got: Tensor, want: Tensor, x: Float32Array, w: Float32Array, shape: { rows: number; k: number; n: number; transA: boolean }, what: string): void {
  const { rows, k, n, transA } = shape;
  const limit = activationLimit(k);
  const [g, y] = [got.data as Float32Array, want.data as Float32Array];
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  for (let r = 0; r < rows; r++) {
    const xr = Array.from({ length: k }, (_, i) => x[transA ? i * rows + r : r * k + i]);
    const sa = Math.max(...xr.map(Math.abs)) / limit;
    for (let j = 0; j < n; j++) {
      let [wSum, absDot] = [0, 0];
      for (let i = 0; i < k; i++) {
        const wij = transA ? w[i * n + j] : w[j * k + i];
        wSum += Math.abs(wij);
        absDot += Math.abs(wij * xr[i]);
      }
      const bound = (wSum * sa) / 2 + 1e-6 * (absDot + Math.abs(y[r * n + j])) + 1e-7;
      const err = Math.abs(g[r * n + j] - y[r * n + j]);
      if (!(err <= bound)) expect.fail(`${what}: row ${r} column ${j} is ${g[r * n + j]}, the interpreter says ${y[r * n + j]}: off by ${err}, more than x's int16 rounding allows (${bound})`);
    }
  }
}

describe('quantized matmuls on wasm (int8 as integers over int16 rows, f16 dequantized in registers up to 8 rows)', () => {
  // 100 output columns: tiles of 4 (or 2) panels, single panels, a partial panel; k = 37 is odd (a padded pair).
  const gemv = (k: number, transA = false) => {
    const b = new GraphBuilder('gemv');
    const x = input(b, 'x', 'f32', transA ? [k, 'n'] : ['n', k]);
    const [w, c] = [b.param('w', 'f32', transA ? [k, 100] : [100, k]), b.param('c', 'f32', [100])];
    const y = transA ? b.emit('matmul', [x.value, w], { transA: true, transB: false })[0] : b.emit('linear', [x.value, w, c], { transB: true, epilogue: 'add($0, $1)' })[0];
    b.output('y', y);
    const weights = new Map([['w', make('f32', transA ? [k, 100] : [100, k])], ['c', make('f32', [100])]]);
    return { graph: b.graph, weights };
  };
  const builds = [{ simd: 'plain' }, { simd: 'relaxed' }, { simd: 'relaxed', threads: 2 }] as const;

  for (const { k, transA } of [{ k: 37, transA: false }, { k: 64, transA: false }, { k: 37, transA: true }]) {
    it(`int8, k ${k}${transA ? ', A transposed' : ''}: 1-5, 8, 9, 64, 65 and 130 rows (several row chunks) within x's int16 rounding of the oracle; plain, relaxed, two threads`, async () => {
      const { graph, weights } = gemv(k, transA);
      expect(quantizedWeights(compileGraph(graph).plan).weights.has('w'), 'w is quantized').toBe(true);
      const oracle = dequantizedWeights(compileGraph(graph).plan, weights, 'int8');
      for (const build of builds) {
        const exe = await compileWasm(graph, weights, { ...build, weightsDtype: 'int8' });
        try {
          for (const rows of [1, 2, 3, 4, 5, 8, 9, 64, 65, 130]) {
            const set = new Map([['x', make('f32', transA ? [k, rows] : [rows, k], (i) => Math.sin(i * 0.7 + rows) * (1 + (i % 5)))]]);
            const [got, want] = [(await exe.run(set)).get('y')!, interpret(graph, set, oracle).get('y')!];
            const what = `${JSON.stringify(build)}, ${rows} row(s)`;
            expectWithinActivationRounding(got, want, set.get('x')!.data as Float32Array, oracle.get('w')!.data as Float32Array, { rows, k, n: 100, transA }, what);
          }
        } finally {
          exe.dispose();
        }
      }
    });
  }

  it(`int8 past the integer tile's longest reduction (k ${INT8_INTEGER_MAX_K + 1}): dequantized to f32, equal to the oracle to 1e-4 (1 and 9 rows)`, { timeout: 120_000 }, async () => {
    const k = INT8_INTEGER_MAX_K + 1;
    const { graph, weights } = gemv(k);
    const oracle = dequantizedWeights(compileGraph(graph).plan, weights, 'int8');
    const exe = await compileWasm(graph, weights, { simd: 'relaxed', weightsDtype: 'int8' });
    try {
      for (const rows of [1, 9]) {
        // Small x keeps the sums of 65537 products near 1, where f32's order of addition stays under 1e-4.
        const set = new Map([['x', make('f32', [rows, k], (i) => 1e-3 * Math.sin(i * 0.37))]]);
        expectClose((await exe.run(set)).get('y'), interpret(graph, set, oracle).get('y')!, `${rows} row(s)`);
      }
    } finally {
      exe.dispose();
    }
  });

  it('int8: a row of zeros gives the bias; a NaN or an infinity makes its row NaN, the other rows unchanged', async () => {
    const { graph, weights } = gemv(64);
    const exe = await compileWasm(graph, weights, { simd: 'relaxed', weightsDtype: 'int8' });
    try {
      const rows = [Array(64).fill(0), Array.from({ length: 64 }, (_, i) => (i === 5 ? Number.NaN : 1)), Array.from({ length: 64 }, (_, i) => (i === 9 ? -Infinity : 1)), Array(64).fill(1)];
      const y = (await exe.run(new Map([['x', tensor('f32', [4, 64], Float32Array.from(rows.flat()))]]))).get('y')!.data as Float32Array;
      const bias = weights.get('c')!.data as Float32Array;
      expect(Array.from(y.slice(0, 100))).toEqual(Array.from(bias));
      expect(Array.from(y.slice(100, 300)).every(Number.isNaN)).toBe(true);
      const alone = (await exe.run(new Map([['x', tensor('f32', [1, 64], Float32Array.from(rows[3]))]]))).get('y')!.data as Float32Array;
      expect(Array.from(y.slice(300))).toEqual(Array.from(alone));
    } finally {
      exe.dispose();
    }
  });

  it('int8: the i32 sums cannot overflow (k 2048, every product at its largest, both signs)', async () => {
    const k = 2048;
    const b = new GraphBuilder('gemv');
    b.output('y', b.emit('linear', [input(b, 'x', 'f32', ['n', k]).value, b.param('w', 'f32', [16, k])], { transB: true, epilogue: '$0' })[0]);
    // Rows of +1 and of -1: every q is ±127; x all 3 (or -3): every quantized x is ±L.
    const weights = new Map([['w', make('f32', [16, k], (i) => (Math.floor(i / k) % 2 ? -1 : 1))]]);
    const exe = await compileWasm(b.graph, weights, { simd: 'relaxed', weightsDtype: 'int8' });
    try {
      for (const sign of [1, -1]) {
        const y = (await exe.run(new Map([['x', make('f32', [1, k], () => 3 * sign)]]))).get('y')!.data as Float32Array;
        expect(Array.from(y)).toEqual(Array.from({ length: 16 }, (_, j) => Math.fround(3 * sign * k * (j % 2 ? -1 : 1))));
      }
    } finally {
      exe.dispose();
    }
    expect(activationLimit(k) * 127 * k).toBeLessThan(2 ** 31);
  });

  it('f16: 1, 2 and 3 rows on plain and relaxed SIMD, one and two threads, equal the oracle to 1e-4', async () => {
    const { graph, weights } = gemv(37);
    const oracle = dequantizedWeights(compileGraph(graph).plan, weights, 'f16');
    for (const build of builds) {
      const exe = await compileWasm(graph, weights, { ...build, weightsDtype: 'f16' });
      try {
        for (const rows of [1, 2, 3]) {
          const set = new Map([['x', make('f32', [rows, 37])]]);
          expectClose((await exe.run(set)).get('y'), interpret(graph, set, oracle).get('y')!, `${JSON.stringify(build)}, ${rows} row(s)`);
        }
      } finally {
        exe.dispose();
      }
    }
  });
});

describe('wasm memory with quantized weights (W-base, no f32 copy kept)', () => {
  const plan = wasmPlan(buildModel(W_BASE, { srcPadding: true }));
  const q = quantizedWeights(plan);
  const maps = Object.fromEntries((['f32', 'int8', 'f16'] as const).map((d) => [d, emitWasm(plan, { simd: 'plain', weightsDtype: d }).program.memory]));
  const loadTime = (d: 'f32' | 'int8' | 'f16') => maps[d].staticEnd - maps[d].staticBase;
  const matrices = [...q.matrices].map(([id, { transB }]) => {
    const [r, c] = (plan.buffers[id].shape as number[]).slice(-2);
    return transB ? { k: c, n: r } : { k: r, n: c };
  });
  const weightBytes = matrices.reduce((s, m) => s + panelBytes(m.k, m.n), 0);

  it('int8: the load-time region is the f32 one less 3/4 of the matmul weights, plus their scales; f16: less 1/2', () => {
    const scales = matrices.reduce((s, m) => s + Math.ceil(m.n / 8) * 32, 0);
    const slack = 32 * matrices.length + 64;
    console.log(`W-base wasm load-time region: f32 ${loadTime('f32')} bytes, int8 ${loadTime('int8')} (${(loadTime('f32') / loadTime('int8')).toFixed(2)}× smaller), f16 ${loadTime('f16')} (${(loadTime('f32') / loadTime('f16')).toFixed(2)}×); matmul weights ${weightBytes} bytes as f32`);
    expect(Math.abs(loadTime('f32') - loadTime('int8') - (0.75 * weightBytes - scales))).toBeLessThanOrEqual(slack);
    expect(Math.abs(loadTime('f32') - loadTime('f16') - 0.5 * weightBytes)).toBeLessThanOrEqual(slack);
    expect(loadTime('f32') / loadTime('int8')).toBeGreaterThan(3.5);
  });

  it('no quantized matrix, and no weight it is cut from, has a place in the load-time region', () => {
    for (const d of ['int8', 'f16'] as const) {
      const m = maps[d];
      const sources = new Set([...q.weights.keys()]);
      for (const [id, address] of m.staticAddresses) {
        if (address >= m.staticEnd) continue;
        expect(q.matrices.has(id), `${d}: ${nameOf(plan, id)}`).toBe(false);
        const s = plan.buffers[id].storage;
        expect(s.kind === 'weight' && sources.has(s.name), `${d}: ${nameOf(plan, id)}`).toBe(false);
      }
      expect(m.packed.filter((p) => q.matrices.has(p.source)).every((p) => p.dtype === d)).toBe(true);
      expect(m.packed.filter((p) => p.dtype === 'int8').every((p) => p.scales !== undefined)).toBe(true);
    }
  });
});

describe('webgpu with quantized weights: generated WGSL', () => {
  const plan = planFor(buildModel(SEQ2SEQ, { srcPadding: true }));
  const q = quantizedWeights(plan);
  const f32 = generatePrograms(plan, PORTABLE_TARGET);

  for (const weightsDtype of ['int8', 'f16'] as const) {
    it(`${weightsDtype}: matmuls bind quantized matrices as u32 words and dequantize in the shader; the host cuts the split weights`, () => {
      const p = generatePrograms(plan, PORTABLE_TARGET, { weightsDtype });
      expect([...p.quantized.matrices.keys()].sort()).toEqual([...q.matrices.keys()].sort());
      expect(p.prologue.length).toBe(f32.prologue.length - p.quantized.hostKernels.size);
      expect(p.quantized.hostKernels.size).toBeGreaterThan(0);
      // The cross-attention in_proj_weights only the host reads: never uploaded.
      expect([...p.quantized.unread].map((id) => nameOf(plan, id)).sort()).toEqual([0, 1].map((i) => `transformer.decoder.layers.${i}.multihead_attn.in_proj_weight`));
      plan.kernels.forEach((k, i) => {
        const prog = p.kernels[i];
        const quantized = prog.bindings.filter((b) => p.quantized.matrices.has(b.buffer));
        if (k.kind !== 'matmul') return expect(quantized, k.label).toEqual([]);
        for (const b of quantized) {
          const name = `b${prog.bindings.indexOf(b) + 1}`;
          expect(prog.wgsl, k.label).toContain(`var<storage, read> ${name}: array<u32>;`);
          expect(prog.wgsl, k.label).toContain(`fn dq_${name}(i: u32) -> f32 {`);
          expect(prog.wgsl, k.label).toContain(weightsDtype === 'f16' ? 'unpack2x16float' : 'bitcast<f32>');
        }
        expect(prog.wgsl).not.toMatch(/enable f16/);
      });
    });
  }
});

describeWebGpu('webgpu with quantized weights: against the interpreter on the dequantized weights', () => {
  const graph = buildModel(SEQ2SEQ, { srcPadding: true });
  const weights = randomWeights(graph, 7);
  const sets = [inputsFor(SEQ2SEQ, 7, 5), inputsFor(SEQ2SEQ, 13, 1)];
  const cases = [['int8', 'auto'], ['int8', 'workgroup'], ['int8', 'gemv'], ['f16', 'auto'], ['f16', 'registers']] as const;
  for (const [weightsDtype, matmul] of cases) {
    it(`${weightsDtype}, matmul template ${matmul}`, { timeout: 300_000 }, async () => {
      const oracle = dequantizedWeights(compileGraph(graph).plan, weights, weightsDtype);
      const exe = await compileWebGpu(graph, weights, { weightsDtype, matmul });
      try {
        for (const [i, set] of sets.entries()) {
          const got = await exe.run(set);
          expectClose(got.get('logits'), interpret(graph, set, oracle).get('logits')!, `set ${i}: logits`);
        }
      } finally {
        exe.dispose();
      }
    });
  }
});
