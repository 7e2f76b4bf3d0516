// Numerics at the edges, the same on every backend (docs/ARCHITECTURE.md, "Numerics at the edges"):
// attention rows whose keys are all masked give NaN, as PyTorch does (in the fused attention kernel,
// in scaled_masked_softmax and in the unfused softmax), a -inf mask gives exactly 0 probability,
// logits around ±1e4 neither overflow nor lose the row, f32 → f16 overflows to ±inf and keeps
// subnormals, and an empty input (batch 0, length 0) is one named error. Each expected value is
// written here (computed in f64), not only taken from the interpreter; every backend, raw and
// optimized, must give it.

import { describe, expect, it } from 'vitest';
import {
  type Graph, GraphBuilder, type Tensor, f32ToF16Bits, input, interpret, tensor,
} from '@smelt/ir';
import { optimize } from '@smelt/compiler';
import { backendNames, getBackend } from '@smelt/backends';
import { expectClose } from './wasm-suite.ts';

const f32 = (shape: number[], xs: number[]): Tensor => tensor('f32', shape, Float32Array.from(xs));
const NAMES = backendNames();
const UNAVAILABLE = new Map(await Promise.all(NAMES.map(async (n) => [n, await getBackend(n).unavailableReason()] as const)));

/** softmax(q kᵀ · s + mask) v, written as a model would (the optimizer fuses it into `attention`). */
function attentionGraph(direct: boolean): Graph {
  const b = new GraphBuilder(direct ? 'attention_op' : 'attention_pattern');
  const [q, k, v] = ['q', 'k', 'v'].map((n) => input(b, n, 'f32', [2, n === 'q' ? 3 : 4, 2]));
  const mask = input(b, 'mask', 'f32', [2, 1, 4]);
  if (direct) {
    b.output('y', b.emit('attention', [q.value, k.value, v.value, mask.value], { scale: 0.5, causal: false })[0]);
    b.output('causal', b.emit('attention', [k.value, k.value, v.value, mask.value], { scale: 0.5, causal: true })[0]);
    b.output('p', b.emit('scaled_masked_softmax', [q.matmul(k.mT()).value, mask.value], { scale: 0.5 })[0]);
  } else {
    // Two softmaxes (scales differ, so CSE keeps both): one only a matmul reads (fused into attention), one an output (scaled_masked_softmax).
    const scores = (scale: number, query = q) => query.matmul(k.mT()).mul(scale).add(mask).softmax(-1);
    b.output('y', scores(0.5).matmul(v).value);
    b.output('p', scores(0.5, q.neg().neg()).value);
  }
  return b.graph;
}

const X = Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) / 5 - 1);
/** Batch 0 sees keys 0 and 2; batch 1 sees no key at all; under `causal`, batch 0's query 0 sees only key 0, which is masked. */
const ATTENTION_INPUTS = new Map([
  ['q', f32([2, 3, 2], X.slice(0, 12))], ['k', f32([2, 4, 2], X.slice(4, 20))], ['v', f32([2, 4, 2], X.slice(8, 24))],
  ['mask', f32([2, 1, 4], [-Infinity, 0, -Infinity, 0, -Infinity, -Infinity, -Infinity, -Infinity])],
]);

async function runAll(name: string, graph: Graph, inputs: Map<string, Tensor>): Promise<[string, Map<string, Tensor>][]> {
  const out: [string, Map<string, Tensor>][] = [];
  for (const optimized of [false, true]) {
    const exe = await getBackend(name).compile(graph, new Map(), { optimize: optimized });
    try {
      out.push([optimized ? 'optimized' : 'as built', await exe.run(inputs)]);
    } finally {
      exe.dispose();
    }
  }
  return out;
}

const rows = (t: Tensor, width: number) => Array.from({ length: t.data.length / width }, (_, r) => Array.from((t.data as Float32Array).subarray(r * width, (r + 1) * width)));

describe('numerics at the edges: the choices', () => {
  it('the pattern fuses into attention and scaled_masked_softmax, so the optimized runs below exercise the fused kernels', () => {
    expect(optimize(attentionGraph(false)).graph.nodes.map((n) => n.op)).toEqual(expect.arrayContaining(['attention', 'scaled_masked_softmax']));
  });
});

describe.each(NAMES)('numerics at the edges on %s', (name) => {
  const why = UNAVAILABLE.get(name);
  if (why && process.env.CI === 'true') it('can run', () => { throw new Error(`${name} cannot run in CI: ${why}`); });
  if (why) console.warn(`[numerics-edges] skipping ${name}: ${why}`);

  it.skipIf(why !== undefined).each([[false], [true]])('attention rows with every key masked are NaN, the others finite (direct ops: %s)', { timeout: 300_000 }, async (direct) => {
    const graph = attentionGraph(direct);
    const want = interpret(graph, ATTENTION_INPUTS, new Map());
    for (const [how, got] of await runAll(name, graph, ATTENTION_INPUTS)) {
      for (const [out, t] of want) expectClose(got.get(out), t, `${how} ${out}`);
      const y = rows(got.get('y')!, 2);
      expect(y.slice(0, 3).flat().every(Number.isFinite), `${how}: batch 0 sees two keys`).toBe(true);
      expect(y.slice(3).flat().every(Number.isNaN), `${how}: batch 1 sees none`).toBe(true);
      const p = rows(got.get('p')!, 4);
      for (const r of p.slice(0, 3)) {
        expect([r[0], r[2]], `${how}: a -inf mask gives exactly 0`).toEqual([0, 0]);
        expect(Math.abs(r[1] + r[3] - 1)).toBeLessThan(1e-6);
      }
      if (direct) expect(rows(got.get('causal')!, 2)[0].every(Number.isNaN), `${how}: causal query 0 sees only key 0, masked`).toBe(true);
    }
  });

  it.skipIf(why !== undefined)('softmax of logits around ±1e4: no overflow, a row of equal -1e4 is uniform', { timeout: 300_000 }, async () => {
    const b = new GraphBuilder('large_logits');
    const x = input(b, 'x', 'f32', [3, 4]);
    b.output('y', x.softmax(-1).value);
    b.output('scaled', b.emit('scaled_masked_softmax', [x.value], { scale: 2 })[0]);
    const inputs = new Map([['x', f32([3, 4], [1e4, 1e4 - 1, -1e4, 0, -1e4, -1e4, -1e4, -1e4, 1e4, -1e4, 5e3, 1e4])]]);
    const e1 = Math.exp(-1), e2 = Math.exp(-2);
    const want = f32([3, 4], [1 / (1 + e1), e1 / (1 + e1), 0, 0, 0.25, 0.25, 0.25, 0.25, 0.5, 0, 0, 0.5]);
    const wantScaled = f32([3, 4], [1 / (1 + e2), e2 / (1 + e2), 0, 0, 0.25, 0.25, 0.25, 0.25, 0.5, 0, 0, 0.5]);
    expectClose(interpret(b.graph, inputs, new Map()).get('y'), want, 'interpreter');
    for (const [how, got] of await runAll(name, b.graph, inputs)) {
      expectClose(got.get('y'), want, `${how} softmax`, 1e-6);
      expectClose(got.get('scaled'), wantScaled, `${how} scaled_masked_softmax`, 1e-6);
    }
  });

  it.skipIf(why !== undefined)('f32 → f16 rounds to nearest even, overflows to ±inf and keeps subnormals', { timeout: 300_000 }, async () => {
    const b = new GraphBuilder('to_f16');
    const x = input(b, 'x', 'f32', [10]);
    const h = x.cast('f16');
    b.output('h', h.value);
    b.output('back', h.cast('f32').value);
    const xs = [1e5, -1e5, 65504, 65520, 65519, 1e-6, -3e-8, 1e-8, 6.1e-5, NaN];
    const inputs = new Map([['x', f32([10], xs)]]);
    const bits = xs.map((v) => f32ToF16Bits(v));
    expect(bits.slice(0, 5)).toEqual([0x7c00, 0xfc00, 0x7bff, 0x7c00, 0x7bff]);
    expect(bits.slice(5, 8)).toEqual([17, 0x8001, 0]); // 1e-6 = 17 · 2^-24 (subnormal), -3e-8 rounds to -2^-24, 1e-8 to 0
    for (const [how, got] of await runAll(name, b.graph, inputs)) {
      const h16 = got.get('h')!;
      expect(Array.from(h16.data as Uint16Array).slice(0, 9), how).toEqual(bits.slice(0, 9));
      expect((h16.data as Uint16Array)[9] & 0x7c00, `${how}: NaN stays NaN`).toBe(0x7c00);
      expectClose(got.get('back'), interpret(b.graph, inputs, new Map()).get('back')!, `${how} back to f32`, 0);
    }
  });

  it.skipIf(why !== undefined)('a NaN score makes its attention row NaN and no other; exp of NaN, ±inf and past f32\'s range', { timeout: 300_000 }, async () => {
    const b = new GraphBuilder('nan_score');
    const [q, k, v] = ['q', 'k', 'v'].map((n) => input(b, n, 'f32', [1, n === 'q' ? 3 : 4, 4]));
    b.output('y', b.emit('attention', [q.value, k.value, v.value], { scale: 0.5, causal: false })[0]);
    const x = input(b, 'x', 'f32', [8]);
    b.output('e', x.exp().value);
    const qs = Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) / 4 - 0.7);
    qs[5] = NaN; // in query 1, so all of its scores are NaN
    const ks = Array.from({ length: 16 }, (_, i) => ((i * 3) % 5) / 3 - 0.5);
    const inputs = new Map([
      ['q', f32([1, 3, 4], qs)], ['k', f32([1, 4, 4], ks)], ['v', f32([1, 4, 4], Array.from({ length: 16 }, (_, i) => i / 8 - 1))],
      ['x', f32([8], [NaN, Infinity, -Infinity, 100, -200, 0, 1, -1])],
    ]);
    const wantE = [NaN, Infinity, 0, Infinity, 0, 1, Math.E, 1 / Math.E];
    for (const [how, got] of await runAll(name, b.graph, inputs)) {
      const y = rows(got.get('y')!, 4);
      expect(y[1].every(Number.isNaN), `${how}: the NaN query's row`).toBe(true);
      expect([...y[0], ...y[2]].every(Number.isFinite), `${how}: the other rows`).toBe(true);
      const e = Array.from(got.get('e')!.data as Float32Array);
      expect(Number.isNaN(e[0]), `${how}: exp(NaN)`).toBe(true);
      expect(e.slice(1, 6), `${how}: exp(inf), exp(-inf), overflow, underflow, exp(0)`).toEqual(wantE.slice(1, 6));
      for (const i of [6, 7]) expect(Math.abs(e[i] - wantE[i]) / wantE[i], `${how}: exp(${i === 6 ? 1 : -1})`).toBeLessThan(1e-6);
    }
  });

  it.skipIf(why !== undefined)('batch 0 and length 0 are one named error, before any kernel runs', { timeout: 300_000 }, async () => {
    const b = new GraphBuilder('empty');
    const x = input(b, 'x', 'f32', ['batch', 'len', 4]);
    b.output('y', x.softmax(-1).sum([1]).value);
    for (const optimized of [false, true]) {
      const exe = await getBackend(name).compile(b.graph, new Map(), { optimize: optimized });
      try {
        await expect(exe.run({ x: tensor('f32', [0, 3, 4]) })).rejects.toThrow('input "x": dim 0 (batch) is 0: an empty input is refused (a symbolic dim must be at least 1)');
        await expect(exe.run({ x: tensor('f32', [2, 0, 4]) })).rejects.toThrow('input "x": dim 1 (len) is 0: an empty input is refused (a symbolic dim must be at least 1)');
        expect((await exe.run({ x: f32([1, 1, 4], [0, 1, 2, 3]) })).get('y')!.shape).toEqual([1, 4]);
      } finally {
        exe.dispose();
      }
    }
  });
});

