// smelt's nn layers against PyTorch (scripts/make_nn_goldens.py → tests/goldens-nn): each layer
// built in the DSL from the golden's state_dict names, run on the interpreter as built and after
// the optimizing pipeline, to 1e-4. The whole models (tests/goldens: gpt2, bert) cover the rest:
// GPT-2's packed Conv1D attention and MLP, BERT's separately named projections and padding mask.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Graph, GraphBuilder, type Tensor, type Var, input, interpret, nn, opCounts } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { compileGraph } from '@smelt/compiler';
import { GOLDEN_DIR } from './golden-util.ts';

const NN_DIR = path.join(GOLDEN_DIR, '..', 'goldens-nn');

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < b.data.length; i++) {
    const d = Math.abs(Number(a.data[i]) - Number(b.data[i]));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/** Build `layer` over x [2, 5, 16] (and a padding mask when the golden has one); check raw and optimized. */
function checkLayer(name: string, layer: (scope: nn.Scope, x: Var, padding: Var | undefined) => Var, optimized?: (g: Graph) => void): void {
  const golden = readSafetensors(path.join(NN_DIR, `${name}.safetensors`));
  const b = new GraphBuilder(name);
  const x = input(b, 'x', 'f32', ['batch', 'seq', 16]);
  const padding = golden.has('padding') ? input(b, 'padding', 'bool', ['batch', 'seq']) : undefined;
  b.output('y', layer(new nn.Scope(b), x, padding).value);
  const inputs = new Map([...golden].filter(([k]) => k === 'x' || k === 'padding'));
  const weights = new Map([...golden].filter(([k]) => b.graph.params.some((p) => p.name === k)));
  expect([...weights.keys()].sort()).toEqual(b.graph.params.map((p) => p.name).sort());
  expect(weights.size + inputs.size + 1, 'every tensor of the golden is read').toBe(golden.size);
  const run = (g: Graph) => interpret(g, inputs, weights).get('y')!;
  expect(maxAbsDiff(run(b.graph), golden.get('y')!)).toBeLessThan(1e-4);
  const g = compileGraph(b.graph).graph;
  expect(maxAbsDiff(run(g), golden.get('y')!)).toBeLessThan(1e-4);
  optimized?.(g);
}

describe('nn layers against PyTorch', () => {
  it('MultiHeadAttention: Hugging Face q_proj/k_proj/v_proj/o_proj without biases, causal', () => {
    checkLayer('attention_hf_causal', (s, x) =>
      new nn.MultiHeadAttention(s, 16, 4, { layout: { separate: nn.HF_PROJECTION_NAMES, bias: false }, causal: true }).forward(x, x));
  });

  it('MultiHeadAttention: Hugging Face names with biases', () => {
    checkLayer('attention_hf_bias', (s, x) =>
      new nn.MultiHeadAttention(s, 16, 4, { layout: { separate: nn.HF_PROJECTION_NAMES, bias: true } }).forward(x, x));
  });

  it('MultiHeadAttention: grouped-query (4 query heads over 2 kv heads, causal), fused into one attention op', () => {
    checkLayer('attention_gqa', (s, x) =>
      new nn.MultiHeadAttention(s, 16, 4, { kvHeads: 2, layout: { separate: nn.HF_PROJECTION_NAMES, bias: false }, causal: true }).forward(x, x),
    (g) => expect(opCounts(g)).toMatchObject({ attention: 1 }));
  });

  it('MultiHeadAttention: multi-query (one kv head), with biases', () => {
    checkLayer('attention_mqa', (s, x) =>
      new nn.MultiHeadAttention(s, 16, 4, { kvHeads: 1, layout: { separate: nn.HF_PROJECTION_NAMES, bias: true } }).forward(x, x),
    (g) => expect(opCounts(g)).toMatchObject({ attention: 1 }));
  });

  it('GatedFeedForward: down_proj(silu(gate_proj(x)) * up_proj(x))', () => {
    checkLayer('gated_ff', (s, x) => new nn.GatedFeedForward(s, 16, 24).forward(x));
  });

  it('TransformerEncoder without the final norm (torch norm=None), pre-norm gelu, padding', () => {
    const cfg = { dModel: 16, nHead: 2, numEncoderLayers: 2, numDecoderLayers: 0, dimFeedforward: 32, activation: 'gelu', layerNormEps: 1e-5, normFirst: true } as const;
    checkLayer('encoder_no_norm', (s, x, padding) => {
      const encoder = new nn.TransformerEncoder(s, cfg, { finalNorm: false });
      expect(encoder.norm).toBeUndefined();
      return encoder.forward(x, nn.keyPaddingMask(padding!));
    });
  });
});

describe('nn layer errors', () => {
  const scope = () => new nn.Scope(new GraphBuilder('e'));
  it('names kvHeads that do not divide nHead', () => {
    expect(() => new nn.MultiHeadAttention(scope(), 16, 4, { kvHeads: 3 })).toThrow(/kvHeads 3 must be a positive integer dividing nHead 4/);
  });
  it('refuses causal cross-attention', () => {
    const b = new GraphBuilder('e');
    const x = input(b, 'x', 'f32', [1, 3, 16]);
    const m = input(b, 'm', 'f32', [1, 4, 16]);
    expect(() => new nn.MultiHeadAttention(new nn.Scope(b), 16, 4, { causal: true }).forward(x, m)).toThrow(/causal attention is self-attention/);
  });
  it('refuses separate projections that share a name', () => {
    expect(() => new nn.MultiHeadAttention(scope(), 16, 4, { layout: { separate: { q: 'a', k: 'a', v: 'v', o: 'o' }, bias: false } })).toThrow(/four different names/);
  });
});
