// smelt graphs for the bench's model parts: the Transformer models come from @smelt/models
// (the same code `smelt run` uses); the encoder layer and the GEMM are built here from smelt's
// DSL, because neither is a model of the spec. W-enc512 uses nn.TransformerEncoderLayer directly:
// a torch-transformer with 1+0 layers would still apply the final encoder LayerNorm and would
// return LayerNorm(tgt), leaving the encoder dead code, so it would not time one encoder layer.

import { GraphBuilder, type Graph, Var, input, nn } from '@smelt/ir';
import {
  buildSeq2Seq, buildSeq2SeqDecoder, buildSeq2SeqEncode, buildSeq2SeqEncoder, buildSeq2SeqStep, buildTorchTransformer,
} from '@smelt/models';
import type { ModelPart, WorkloadShape } from './defs.ts';

/** One post-norm torch.nn.TransformerEncoderLayer: src [batch, seqLen, d] → out; torch's state_dict names. */
export function buildEncoderLayer(cfg: nn.TransformerConfig): Graph {
  const b = new GraphBuilder('encoder_layer');
  const src = input(b, 'src', 'f32', ['batch', 'seqLen', cfg.dModel]);
  const layer = new nn.TransformerEncoderLayer(new nn.Scope(b), cfg);
  b.output('out', layer.forward(src, undefined).value);
  return b.graph;
}

/** c = a·b with a [m, k] as the input and b [k, n] as a constant weight. */
export function buildGemm(m: number, k: number, n: number): Graph {
  const b = new GraphBuilder('gemm');
  const a = input(b, 'a', 'f32', [m, k]);
  const w = new Var(b, b.param('b', 'f32', [k, n]));
  b.output('c', a.matmul(w).value);
  return b.graph;
}

export function buildPartGraph(part: ModelPart): Graph {
  switch (part.kind) {
    case 'transformer': return buildTorchTransformer(part.config);
    case 'encoder-layer': return buildEncoderLayer(part.config);
    case 'gemm': return buildGemm(part.m, part.k, part.n);
    case 'seq2seq-encoder': return buildSeq2SeqEncoder(part.config);
    case 'seq2seq-decoder': return buildSeq2SeqDecoder(part.config);
    case 'seq2seq-encode': return buildSeq2SeqEncode(part.config);
    case 'seq2seq-step': return buildSeq2SeqStep(part.config);
    default: return part satisfies never;
  }
}

/** The graph whose parameters are the workload's weights file (all parts together). */
export function buildWeightsGraph(shape: WorkloadShape): Graph {
  switch (shape.kind) {
    case 'transformer': return buildTorchTransformer(shape.config);
    case 'encoder-layer': return buildEncoderLayer(shape.config);
    case 'gemm': return buildGemm(shape.m, shape.k, shape.n);
    case 'seq2seq-greedy': return buildSeq2Seq(shape.config);
    default: return shape satisfies never;
  }
}
