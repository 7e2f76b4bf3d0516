// The spec's Transformer graphs as IR: they verify, print, parse back and print identically (also
// through JSON), and the state_dict names they declare are exactly PyTorch's.

import { describe, expect, it } from 'vitest';
import { graphFromJSON, graphToJSON, parseGraph, printGraph, verifyGraph } from '@smelt/ir';
import { buildSeq2Seq, buildSeq2SeqDecoder, buildSeq2SeqEncoder, buildTorchTransformer, type Seq2SeqConfig } from '@smelt/models';

const SEQ2SEQ: Seq2SeqConfig = {
  model: 'seq2seq', dModel: 48, nHead: 3, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 40,
  activation: 'gelu', layerNormEps: 1e-6, normFirst: true, srcVocab: 11, tgtVocab: 13, maxLen: 20, bos: 1, maxDecode: 5, eos: 2,
};

const graphs = [
  ['seq2seq', buildSeq2Seq(SEQ2SEQ, { srcPadding: true })],
  ['seq2seq post-norm', buildSeq2Seq({ ...SEQ2SEQ, normFirst: false, activation: 'relu' })],
  ['seq2seq encoder', buildSeq2SeqEncoder(SEQ2SEQ, { srcPadding: true })],
  ['seq2seq decoder', buildSeq2SeqDecoder(SEQ2SEQ, { srcPadding: true })],
  ['torch-transformer', buildTorchTransformer({ ...SEQ2SEQ, model: 'torch-transformer' }, { srcPadding: true, tgtPadding: true })],
] as const;

describe.each(graphs)('%s', (_name, g) => {
  it('verifies', () => {
    expect(() => verifyGraph(g)).not.toThrow();
  });

  it('prints, parses back and prints identically', () => {
    const text = printGraph(g);
    const again = parseGraph(text);
    verifyGraph(again);
    expect(printGraph(again)).toBe(text);
  });

  it('round-trips through JSON', () => {
    const json = JSON.parse(JSON.stringify(graphToJSON(g)));
    expect(printGraph(graphFromJSON(json))).toBe(printGraph(g));
  });
});

describe('parameter names are the PyTorch state_dict names', () => {
  it('for one encoder and one decoder layer of nn.Transformer', () => {
    const g = buildTorchTransformer({ ...SEQ2SEQ, model: 'torch-transformer', numEncoderLayers: 1, numDecoderLayers: 1 });
    const layer = (p: string) => ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'].map((n) => `${p}.${n}`);
    const lin = (p: string) => ['linear1', 'linear2'].flatMap((l) => [`${p}.${l}.weight`, `${p}.${l}.bias`]);
    const norms = (p: string, n: number) => Array.from({ length: n }, (_, i) => [`${p}.norm${i + 1}.weight`, `${p}.norm${i + 1}.bias`]).flat();
    const e = 'encoder.layers.0';
    const d = 'decoder.layers.0';
    expect(g.params.map((p) => p.name)).toEqual([
      ...layer(`${e}.self_attn`), ...lin(e), ...norms(e, 2), 'encoder.norm.weight', 'encoder.norm.bias',
      ...layer(`${d}.self_attn`), ...layer(`${d}.multihead_attn`), ...lin(d), ...norms(d, 3), 'decoder.norm.weight', 'decoder.norm.bias',
    ]);
    expect(g.param('encoder.layers.0.self_attn.in_proj_weight')!.type.shape).toEqual([144, 48]);
    expect(g.param('decoder.layers.0.linear1.weight')!.type.shape).toEqual([40, 48]);
  });

  it('seq2seq adds embeddings and the generator around transformer.*', () => {
    const names = buildSeq2Seq(SEQ2SEQ).params.map((p) => p.name!);
    expect(names.slice(0, 2)).toEqual(['src_embed.weight', 'tgt_embed.weight']);
    expect(names.slice(-2)).toEqual(['generator.weight', 'generator.bias']);
    expect(names.filter((n) => !n.startsWith('transformer.')).length).toBe(4);
  });
});
