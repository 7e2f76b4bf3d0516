// The model zoo's graphs (GPT-2, BERT): what the optimizing pipeline makes of them, counted as
// `smelt inspect` shows them (every attention fused, every norm fused with its residual add, the
// MLP and pooler epilogues fused into their linears), and the configs' named errors. Their
// numbers against PyTorch on every backend are in goldens.test.ts and cli-goldens.test.ts
// (tests/goldens/gpt2, tests/goldens/bert, from scripts/make_zoo_goldens.py).

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

describe('zoo configs', () => {
  it.each([
    ['gpt2', { numLayers: 0 }, /config key "numLayers" must be a positive integer/],
    ['gpt2', { nHead: 5 }, /dModel 32 must be divisible by nHead 5/],
    ['gpt2', { activation: 'relu' }, /unknown config key "activation"/],
    ['bert', { numLabels: 1.5 }, /config key "numLabels" must be a positive integer/],
    ['bert', { layerNormEps: -1 }, /config key "layerNormEps" must be a positive number/],
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
    expect(() => parseConfig({ ...config('gpt2'), model: 'gpt3' }, 'c.json')).toThrow(/"model" must be one of .*"gpt2", "bert"/);
  });

  it('bounds the weights a model may hold, counted on its graph', () => {
    const cfg = parseConfig(config('gpt2'));
    const params = buildModel(cfg).params.reduce((n, p) => n + (p.type.shape as number[]).reduce((a, d) => a * d, 1), 0);
    expect(weightElements(cfg)).toBe(params);
    expect(() => parseConfig({ ...config('gpt2'), vocabSize: 1 << 24, dModel: 1024, nHead: 16 }, 'big.json')).toThrow(/big\.json: this gpt2 config makes \d+ weight elements, more than/);
  });
});
