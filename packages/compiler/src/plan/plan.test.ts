// Lowering and memory planning on the Transformer models: one symbolic plan, checked at many
// sequence lengths and batch sizes, beats the naive allocation, runs a kernel for every compute
// node and moves weight-only work to the prologue; checkArena catches overlapping live buffers.

import { describe, expect, it } from 'vitest';
import { type Graph, type Node, type SymbolEnv, parseGraph, printGraph } from '@smelt/ir';
import { buildSeq2Seq, buildTorchTransformer } from '../../../models/src/models.ts';
import type { TorchTransformerConfig } from '../../../models/src/config.ts';
import { optimize } from '../pipeline.ts';
import { ir } from '../test-util.ts';
import type { Kernel, KernelPlan, PlanBuffer } from './kernel-plan.ts';
import { lowerToPlan } from './lower.ts';
import { arenaLayout, checkArena, kernelReads, kernelWrites, naiveBytes } from './memory.ts';

const CORE: Omit<TorchTransformerConfig, 'model'> = {
  dModel: 8, nHead: 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 16, activation: 'relu', layerNormEps: 1e-5, normFirst: false,
};
const MASKS = { srcPadding: true, tgtPadding: true };

const MODELS: readonly (readonly [string, () => Graph])[] = [
  ['torch-transformer', () => buildTorchTransformer({ ...CORE, model: 'torch-transformer' }, MASKS)],
  ['seq2seq', () => buildSeq2Seq({ ...CORE, model: 'seq2seq', srcVocab: 11, tgtVocab: 13, maxLen: 64, bos: 1, maxDecode: 4 }, MASKS)],
];

const LENGTHS = [1, 7, 64];
const ENVS: SymbolEnv[] = [1, 3].flatMap((batch) =>
  LENGTHS.flatMap((srcLen) => LENGTHS.map((tgtLen) => new Map([['batch', batch], ['srcLen', srcLen], ['tgtLen', tgtLen]]))));
const envName = (env: SymbolEnv) => [...env].map(([k, v]) => `${k}=${v}`).join(' ');

/** The buffer ids lowering gives each node's results: inputs, params, then every node's results in order. */
function resultBuffers(g: Graph): Map<Node, number[]> {
  let next = g.inputs.length + g.params.length;
  return new Map(g.nodes.map((n) => [n, n.outputs.map(() => next++)]));
}

describe.each(MODELS)('%s', (name, build) => {
  const graph = optimize(build(), { verifyEach: true }).graph;
  const plan = lowerToPlan(graph);

  it('keeps the input symbols, so one plan serves every length', () => {
    expect(plan.symbols).toEqual(['batch', 'srcLen', 'tgtLen']);
    const used = new Set(plan.buffers.flatMap((b) => b.shape.filter((d) => typeof d === 'string')));
    expect([...used].sort()).toEqual(['batch', 'srcLen', 'tgtLen']);
  });

  it('passes checkArena and peaks below the naive allocation at every length and batch', () => {
    for (const env of ENVS) {
      expect(() => checkArena(plan, env), envName(env)).not.toThrow();
      expect(arenaLayout(plan, env).size, envName(env)).toBeLessThan(naiveBytes(plan, env));
    }
    const small = arenaLayout(plan, ENVS[0]).size;
    const large = arenaLayout(plan, ENVS[ENVS.length - 1]).size;
    expect(large).toBeGreaterThan(small);
  });

  it('writes the results of every node but reshapes and constants with a kernel', () => {
    const written = new Set([...plan.prologue, ...plan.kernels].flatMap(kernelWrites));
    const buffers = resultBuffers(graph);
    for (const n of graph.nodes) {
      const ids = buffers.get(n)!;
      const kinds = ids.map((id) => plan.buffers[id].storage.kind);
      if (n.op === 'reshape') expect(kinds).toEqual(['alias']);
      else if (n.op === 'constant') expect(kinds).toEqual(['constant']);
      else for (const id of ids) expect(written.has(id), `${n.op} result buffer ${id}`).toBe(true);
    }
    // One kernel per node, a split one slice per piece (lower.ts).
    const expected = graph.nodes
      .filter((n) => n.op !== 'reshape' && n.op !== 'constant')
      .reduce((s, n) => s + (n.op === 'split' ? n.outputs.length : 1), 0);
    expect(plan.prologue.length + plan.kernels.length).toBe(expected);
  });

  it('runs the weight-only splits of the cross-attention in_proj weights once, in the prologue', () => {
    const weightName = (id: number) => {
      const s = plan.buffers[id].storage;
      return s.kind === 'weight' ? s.name : undefined;
    };
    const sliced = plan.prologue.map((k) => (k.kind === 'slice' ? weightName(k.x) : undefined));
    const prefix = (d: number) => `${name === 'seq2seq' ? 'transformer.' : ''}decoder.layers.${d}.multihead_attn`;
    const names = [0, 1].flatMap((d) => [`${prefix(d)}.in_proj_weight`, `${prefix(d)}.in_proj_bias`]);
    // Each weight splits into its query rows and its key-value rows.
    expect(sliced.sort()).toEqual(names.flatMap((n) => [n, n]).sort());
    for (const k of plan.kernels) expect(kernelReads(k).some((id) => names.includes(weightName(id) ?? ''))).toBe(false);
  });
});

describe('memory plan invariants', () => {
  const arena = (id: number): PlanBuffer => ({ id, dtype: 'f32', shape: [4], storage: { kind: 'arena', slot: -1 } });
  const unary = (op: 'exp' | 'tanh', x: number, out: number): Kernel =>
    ({ kind: 'elementwise', label: op, out, inputs: [x], expr: { k: 'op', op, args: [{ k: 'in', i: 0 }] } });

  /** b1 = exp(x), b2 = tanh(x), b3 = b1 + b2: b1 and b2 are both alive at kernels 1 and 2. */
  function handPlan(slots: number[][]): KernelPlan {
    const buffers: PlanBuffer[] = [{ id: 0, dtype: 'f32', shape: [4], storage: { kind: 'input', name: 'x' } }, arena(1), arena(2), arena(3)];
    for (const [slot, ids] of slots.entries()) for (const id of ids) buffers[id].storage = { kind: 'arena', slot };
    const add: Kernel = { kind: 'elementwise', label: 'add', out: 3, inputs: [1, 2], expr: { k: 'op', op: 'add', args: [{ k: 'in', i: 0 }, { k: 'in', i: 1 }] } };
    return {
      name: 'hand', symbols: [], computed: [], inputs: [{ name: 'x', buffer: 0 }],
      outputs: [{ name: 'y', buffer: 3 }], buffers, prologue: [],
      contract: { inputs: [{ name: 'x', dtype: 'f32', shape: [4] }], symbolBounds: [], indexBounds: [], mayBeEmpty: [] },
      kernels: [unary('exp', 0, 1), unary('tanh', 0, 2), add],
      arena: {
        slots: slots.map((buffers, id) => ({ id, buffers })), alignment: 16,
        lifetimes: new Map([[1, [0, 2]], [2, [1, 2]], [3, [2, 3]]]), inPlace: new Map(),
      },
    };
  }

  it('checkArena throws when two live buffers share a slot', () => {
    expect(() => checkArena(handPlan([[1, 2], [3]]), new Map())).toThrow(/arena overlap/);
    expect(() => checkArena(handPlan([[1], [2], [3]]), new Map())).not.toThrow();
  });

  it('a matmul never writes in place over its own operand', () => {
    // y = x @ wᵀ + b + x with x an arena buffer: the residual is also the left operand, which other
    // output elements still read, so the output must not take its memory.
    const g = optimize(parseGraph(ir`
      graph @residual {
        input %h : f32[batch, 8]
        param %w : f32[8, 8]
        param %b : f32[8]
        %0 = tanh(%h) : f32[batch, 8]
        %1 = matmul(%0, %w) {transA = false, transB = true} : f32[batch, 8]
        %2 = add(%1, %b) : f32[batch, 8]
        %3 = add(%2, %0) : f32[batch, 8]
        output y = %3
      }`), { verifyEach: true }).graph;
    expect(printGraph(g)).toContain('linear(%0, %w, %b, %0)');
    const plan = lowerToPlan(g);
    for (const k of plan.kernels) {
      if (k.kind !== 'matmul') continue;
      for (const operand of [k.a, k.b]) expect(plan.arena.inPlace.get(operand), `buffer ${operand} read as a matmul operand`).not.toBe(k.out);
    }
  });
});
