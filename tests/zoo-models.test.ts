// The model zoo's graphs (GPT-2, BERT, Llama): what the optimizing pipeline makes of them, counted as
// `smelt inspect` shows them (every attention fused, every norm fused with its residual add, the
// MLP and pooler epilogues fused into their linears), and the configs' named errors. Their
// numbers against PyTorch on every backend are in goldens.test.ts and cli-goldens.test.ts
// (tests/goldens/gpt2, bert and llama, from scripts/make_zoo_goldens.py).

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Graph, type Node, opCounts } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { ConfigError, buildModel, parseConfig, weightElements } from '@smelt/models';
import { GOLDEN_DIR } from './golden-util.ts';

const config = (name: string) => JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, name, 'config.json'), 'utf8')) as Record<string, unknown>;
const optimized = (g: Graph) => compileGraph(g).graph;
const epilogues = (g: Graph, op: string) => g.nodes.filter((n) => n.op === 'linear' && (n as Node<'linear'>).attrs.epilogue.startsWith(`${op}(`)).length;

describe('GPT-2 graph', () => {
  const cfg = parseConfig(config('gpt2'));
  const layers = config('gpt2').numLayers as number;

  it('fuses every causal attention, every LayerNorm with its residual add, and the gelu-tanh MLP epilogue', () => {
    const g = optimized(buildModel(cfg));
    const counts = opCounts(g);
    expect(counts.attention).toBe(layers);
    expect(g.nodes.filter((n) => n.op === 'attention').every((n) => (n as Node<'attention'>).attrs.causal)).toBe(true);
    expect(counts.softmax ?? 0).toBe(0);
    expect(counts.scaled_masked_softmax ?? 0).toBe(0);
    // ln_1 (the first over wte + wpe), ln_2 in each block, ln_f: each reads a residual sum
    expect(counts.add_layer_norm).toBe(2 * layers + 1);
    expect(counts.layer_norm ?? 0).toBe(0);
    expect(epilogues(g, 'gelu_tanh')).toBe(layers);
  });
});

describe('BERT graph', () => {
  const cfg = parseConfig(config('bert'));
  const layers = config('bert').numLayers as number;

  it('fuses every masked attention, every Add & Norm (the embeddings\' too), the gelu and the tanh pooler epilogues', () => {
    const g = optimized(buildModel(cfg, { attentionMask: true, tokenTypeIds: true }));
    const counts = opCounts(g);
    expect(counts.attention).toBe(layers);
    expect(g.nodes.filter((n) => n.op === 'attention').every((n) => n.inputs.length === 4)).toBe(true);
    expect(counts.softmax ?? 0).toBe(0);
    expect(counts.add_layer_norm).toBe(2 * layers + 1);
    expect(counts.layer_norm ?? 0).toBe(0);
    expect(epilogues(g, 'gelu')).toBe(layers);
    expect(epilogues(g, 'tanh')).toBe(1);
  });

  it('without attention_mask or token_type_ids: unmasked attention, token type 0', () => {
    const g = buildModel(cfg);
    expect(g.inputs.map((v) => v.name)).toEqual(['input_ids']);
    expect(opCounts(optimized(g)).attention).toBe(layers);
  });
});

describe('Llama graph', () => {
  const cfg = parseConfig(config('llama'));
  const layers = config('llama').numLayers as number;

  it('fuses every grouped-query attention (rotary on q and k), every RMSNorm after a residual add, and the SwiGLU epilogue', () => {
    const g = optimized(buildModel(cfg));
    const counts = opCounts(g);
    expect(counts.attention).toBe(layers);
    expect(counts.expand ?? 0, 'no kv head is copied').toBe(0);
    expect(counts.softmax ?? 0).toBe(0);
    expect(counts.rope).toBe(2 * layers);
    // every norm but the first input_layernorm (it reads the embedding, no residual) fuses its add
    expect(counts.add_rms_norm).toBe(2 * layers);
    expect(counts.rms_norm).toBe(1);
    expect(g.nodes.filter((n) => n.op === 'linear' && (n as Node<'linear'>).attrs.epilogue === 'mul(silu($0), $1)').length).toBe(layers);
  });
});

describe('zoo configs', () => {
  it.each([
    ['gpt2', { numLayers: 0 }, /config key "numLayers" must be a positive integer/],
    ['gpt2', { nHead: 5 }, /dModel 32 must be divisible by nHead 5/],
    ['gpt2', { activation: 'relu' }, /unknown config key "activation"/],
    ['bert', { numLabels: 1.5 }, /config key "numLabels" must be a positive integer/],
    ['bert', { layerNormEps: -1 }, /config key "layerNormEps" must be a positive number/],
    ['llama', { nKvHead: 3 }, /nKvHead 3 must divide nHead 8/],
    ['llama', { dModel: 72, nHead: 8 }, /rotary embeddings need an even head size \(dModel \/ nHead\), got 9/],
    ['llama', { ropeTheta: 0 }, /config key "ropeTheta" must be a positive number/],
  ])('%s with %j is a ConfigError', (name, change, message) => {
    const raw = { ...config(name), ...change };
    expect(() => parseConfig(raw, 'c.json')).toThrow(ConfigError);
    expect(() => parseConfig(raw, 'c.json')).toThrow(message);
  });

  it('names a missing key', () => {
    const { typeVocabSize: _, ...raw } = config('bert');
    expect(() => parseConfig(raw, 'c.json')).toThrow(/c\.json: missing config key "typeVocabSize"/);
  });

  it('an unknown model lists the zoo', () => {
    expect(() => parseConfig({ ...config('gpt2'), model: 'gpt3' }, 'c.json')).toThrow(/"model" must be one of .*"gpt2", "bert", "llama"/);
  });

  it('bounds the weights a model may hold, counted on its graph', () => {
    const cfg = parseConfig(config('gpt2'));
    const params = buildModel(cfg).params.reduce((n, p) => n + (p.type.shape as number[]).reduce((a, d) => a * d, 1), 0);
    expect(weightElements(cfg)).toBe(params);
    expect(() => parseConfig({ ...config('gpt2'), vocabSize: 1 << 24, dModel: 1024, nHead: 16 }, 'big.json')).toThrow(/big\.json: this gpt2 config makes \d+ weight elements, more than/);
  });
});
