// The pipeline on the spec's Transformer graphs: every attention, Add & Norm and projection is
// fused (counted per config), the positional table folds, and the optimized graph computes what
// the unoptimized one does on seeded random weights.

import { describe, expect, it } from 'vitest';
import { type Graph, type Tensor, type Value, interpret, opCounts, resolveShape, tensor } from '@smelt/ir';
import { buildSeq2Seq, buildTorchTransformer, type MaskInputs } from '../../models/src/models.ts';
import type { Seq2SeqConfig, TorchTransformerConfig } from '../../models/src/config.ts';
import { optimize } from './pipeline.ts';

const LAYERS = [[2, 3], [3, 1]] as const;
const STYLES = [
  { style: 'post-norm relu', normFirst: false, activation: 'relu' },
  { style: 'pre-norm gelu', normFirst: true, activation: 'gelu' },
] as const;
const MASKS: readonly (readonly [string, MaskInputs])[] = [['no masks', {}], ['padding masks', { srcPadding: true, tgtPadding: true }]];

const torchConfig = (E: number, D: number, normFirst: boolean, activation: 'relu' | 'gelu'): TorchTransformerConfig => ({
  model: 'torch-transformer', dModel: 8, nHead: 2, numEncoderLayers: E, numDecoderLayers: D, dimFeedforward: 16,
  activation, layerNormEps: 1e-5, normFirst,
});

const seq2seqConfig = (E: number, D: number): Seq2SeqConfig => ({
  ...torchConfig(E, D, false, 'relu'), model: 'seq2seq', srcVocab: 11, tgtVocab: 13, maxLen: 16, bos: 1, maxDecode: 4,
});

const count = (g: Graph, op: string) => opCounts(g)[op] ?? 0;

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Sizes of the model inputs in the numeric checks. */
const SIZES = { batch: 2, srcLen: 5, tgtLen: 4 };
const ENV = new Map(Object.entries(SIZES));
/** Real lengths per batch row: trailing positions beyond them are padding. */
const SRC_LENGTHS = [5, 3];
const TGT_LENGTHS = [4, 2];

/** Seeded parameters in ±0.2, LayerNorm weights around 1 so activations stay well scaled. */
function randomWeights(g: Graph, seed: number): Map<string, Tensor> {
  const rand = seededRandom(seed);
  return new Map(g.params.map((p) => {
    const t = tensor('f32', resolveShape(p.type.shape, ENV));
    const centre = /norm\d?\.weight$/.test(p.name!) ? 1 : 0;
    for (let i = 0; i < t.data.length; i++) t.data[i] = centre + (rand() - 0.5) * 0.4;
    return [p.name!, t];
  }));
}

/** Seeded model inputs: f32 embeddings in ±1, token ids below `vocab`, trailing key padding. */
function randomInputs(g: Graph, seed: number, vocab: Record<string, number> = {}): Map<string, Tensor> {
  const rand = seededRandom(seed);
  const fill = (v: Value): Tensor => {
    const t = tensor(v.type.dtype, resolveShape(v.type.shape, ENV));
    const name = v.name!;
    if (name.endsWith('key_padding_mask')) {
      const lengths = name.startsWith('src') ? SRC_LENGTHS : TGT_LENGTHS;
      const keys = t.shape[1];
      for (let i = 0; i < t.data.length; i++) t.data[i] = +(i % keys >= lengths[Math.floor(i / keys)]);
    } else if (v.type.dtype === 'i32') {
      for (let i = 0; i < t.data.length; i++) t.data[i] = Math.floor(rand() * vocab[name]);
    } else {
      for (let i = 0; i < t.data.length; i++) t.data[i] = rand() * 2 - 1;
    }
    return t;
  };
  return new Map(g.inputs.map((v) => [v.name!, fill(v)]));
}

/** Largest |a − b| / max(1, |b|) over the rows [batch, row, …] that `keep` selects. */
function worstError(a: Tensor, b: Tensor, keep: (batch: number, row: number) => boolean = () => true): number {
  expect(a.shape).toEqual(b.shape);
  const [, rows, width] = b.shape;
  let worst = 0;
  b.data.forEach((x, i) => {
    const row = Math.floor(i / width);
    if (!keep(Math.floor(row / rows), row % rows)) return;
    worst = Math.max(worst, Math.abs(Number(a.data[i]) - Number(x)) / Math.max(1, Math.abs(Number(x))));
  });
  return worst;
}

describe.each(LAYERS)('torch-transformer E=%i D=%i', (E, D) => {
  describe.each(STYLES)('$style', ({ normFirst, activation }) => {
    it.each(MASKS)('%s: every attention, Add & Norm and projection is fused', (_name, masks) => {
      const g = optimize(buildTorchTransformer(torchConfig(E, D, normFirst, activation), masks), { verifyEach: true }).graph;
      expect(count(g, 'attention')).toBe(E + 2 * D);
      expect(count(g, 'add_layer_norm')).toBe(2 * E + 3 * D);
      expect(count(g, 'layer_norm')).toBe(2); // the final encoder and decoder norms
      expect(count(g, 'softmax')).toBe(0);
      expect(count(g, 'matmul')).toBe(0);
    });

    it.each(MASKS)('%s: with fuse-attention off, every softmax is a scaled_masked_softmax', (_name, masks) => {
      const g = optimize(buildTorchTransformer(torchConfig(E, D, normFirst, activation), masks), {
        verifyEach: true, disable: ['fuse-attention'],
      }).graph;
      expect(count(g, 'scaled_masked_softmax')).toBe(E + 2 * D);
      expect(count(g, 'attention')).toBe(0);
      expect(count(g, 'softmax')).toBe(0);
    });

    it('with padding masks, optimized == unoptimized on the non-padded target rows', () => {
      const g = buildTorchTransformer(torchConfig(E, D, normFirst, activation), { srcPadding: true, tgtPadding: true });
      const weights = randomWeights(g, 11);
      const inputs = randomInputs(g, 12);
      const want = interpret(g, inputs, weights).get('out')!;
      const got = interpret(optimize(g, { verifyEach: true }).graph, inputs, weights).get('out')!;
      expect(worstError(got, want, (b, row) => row < TGT_LENGTHS[b])).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe.each(LAYERS)('seq2seq post-norm E=%i D=%i', (E, D) => {
  const graph = () => buildSeq2Seq(seq2seqConfig(E, D), { srcPadding: true });

  it('fuses every attention and Add & Norm, and folds the positional table', () => {
    const g = optimize(graph(), { verifyEach: true }).graph;
    expect(count(g, 'attention')).toBe(E + 2 * D);
    expect(count(g, 'add_layer_norm')).toBe(2 * E + 3 * D);
    for (const op of ['iota', 'sin', 'cos', 'exp', 'softmax', 'matmul']) expect(count(g, op), op).toBe(0);
  });

  it('optimized == unoptimized logits', () => {
    const g = graph();
    const weights = randomWeights(g, 21);
    const inputs = randomInputs(g, 22, { src: 11, tgt: 13 });
    const want = interpret(g, inputs, weights).get('logits')!;
    const got = interpret(optimize(g, { verifyEach: true }).graph, inputs, weights).get('logits')!;
    expect(worstError(got, want)).toBeLessThanOrEqual(1e-5);
  });
});
