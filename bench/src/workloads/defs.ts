// The workloads of the bench (issue 7): what each one computes, its sizes and its seed. Every
// engine runs exactly these, batch 1, f32, post-norm ReLU, causal target, on the same weights.
// A workload is made of model parts (one, or the encoder and decoder halves of seq2seq); each
// engine loads the parts, and the workload says how to run them.

import type { nn } from '@smelt/ir';
import type { Seq2SeqConfig, TorchTransformerConfig } from '@smelt/models';

/** One model an engine loads: a graph for smelt, an ONNX file for ORT, a forward function for tfjs/jax-js. */
export type ModelPart =
  | { readonly kind: 'transformer'; readonly config: TorchTransformerConfig }
  | { readonly kind: 'encoder-layer'; readonly config: nn.TransformerConfig }
  | { readonly kind: 'gemm'; readonly m: number; readonly k: number; readonly n: number }
  | { readonly kind: 'seq2seq-encoder'; readonly config: Seq2SeqConfig }
  | { readonly kind: 'seq2seq-decoder'; readonly config: Seq2SeqConfig }
  | { readonly kind: 'seq2seq-encode'; readonly config: Seq2SeqConfig }
  | { readonly kind: 'seq2seq-step'; readonly config: Seq2SeqConfig };

/** How greedy decoding runs: the decoder over the whole prefix per token, or one step over a key/value cache. */
export type Decoding = 'full-prefix' | 'cached';

export type WorkloadShape =
  | { readonly kind: 'transformer'; readonly config: TorchTransformerConfig; readonly srcLen: number; readonly tgtLen: number }
  | { readonly kind: 'encoder-layer'; readonly config: nn.TransformerConfig; readonly seqLen: number }
  | { readonly kind: 'gemm'; readonly m: number; readonly k: number; readonly n: number }
  | { readonly kind: 'seq2seq-greedy'; readonly config: Seq2SeqConfig; readonly srcLen: number; readonly decoding: Decoding };

export interface WorkloadDef {
  readonly id: string;
  readonly title: string;
  readonly seed: number;
  readonly shape: WorkloadShape;
  /** Only engines whose names start with one of these run it (unless --everywhere); `why` says why. */
  readonly engines?: { readonly prefixes: readonly string[]; readonly why: string };
}

const CORE = { activation: 'relu', layerNormEps: 1e-5, normFirst: false } as const;

const SMALL: TorchTransformerConfig = {
  model: 'torch-transformer', dModel: 256, nHead: 4, numEncoderLayers: 3, numDecoderLayers: 3, dimFeedforward: 1024, ...CORE,
};
const BASE: TorchTransformerConfig = {
  model: 'torch-transformer', dModel: 512, nHead: 8, numEncoderLayers: 6, numDecoderLayers: 6, dimFeedforward: 2048, ...CORE,
};
/** One torch.nn.TransformerEncoderLayer: no final encoder LayerNorm, no decoder. */
const ENC_LAYER: nn.TransformerConfig = {
  dModel: 512, nHead: 8, numEncoderLayers: 1, numDecoderLayers: 0, dimFeedforward: 2048, ...CORE,
};
/** W-small's core with a 512-token vocabulary on both sides. */
const SEQ2SEQ: Seq2SeqConfig = {
  ...SMALL, model: 'seq2seq', srcVocab: 512, tgtVocab: 512, maxLen: 64, bos: 1, maxDecode: 32,
};

/** W-base's core with an 8000-token vocabulary; 128 new tokens after a 64-token source. */
const SEQ2SEQ_BASE: Seq2SeqConfig = {
  ...BASE, model: 'seq2seq', srcVocab: 8000, tgtVocab: 8000, maxLen: 192, bos: 1, maxDecode: 128,
};

/** Cached decoding: smelt and ONNX Runtime on encode.onnx + step.onnx (past/present keys and values, scripts/kv_decoding.py). */
const CACHED_ENGINES = { prefixes: ['smelt-', 'ort-node-kv-', 'ort-web-kv-'], why: 'decoding with the key/value cache: smelt and the ORT key/value peers (ort-*-kv-*); tfjs and jax-js have no cached model here' } as const;
const FULL_PREFIX_BASE = { prefixes: ['smelt-wasm-relaxed'], why: 'full-prefix decoding of 128 W-base tokens takes ~10 s a run: timed on one engine, the baseline of the cache' } as const;

export const WORKLOADS: readonly WorkloadDef[] = [
  { id: 'w-small', title: 'W-small: d256, 4 heads, 3+3 layers, ff 1024, seq 64/64', seed: 101, shape: { kind: 'transformer', config: SMALL, srcLen: 64, tgtLen: 64 } },
  { id: 'w-base', title: 'W-base: d512, 8 heads, 6+6 layers, ff 2048, seq 128/128', seed: 102, shape: { kind: 'transformer', config: BASE, srcLen: 128, tgtLen: 128 } },
  { id: 'w-enc512', title: 'W-enc512: one encoder layer, d512, 8 heads, ff 2048, seq 512', seed: 103, shape: { kind: 'encoder-layer', config: ENC_LAYER, seqLen: 512 } },
  { id: 'gemm-512', title: 'GEMM 512x512x512, constant B', seed: 104, shape: { kind: 'gemm', m: 512, k: 512, n: 512 } },
  { id: 'gemm-1024', title: 'GEMM 1024x1024x1024, constant B', seed: 105, shape: { kind: 'gemm', m: 1024, k: 1024, n: 1024 } },
  { id: 'greedy-32', title: 'seq2seq greedy decoding, 32 tokens (W-small core, vocab 512, src 32)', seed: 106, shape: { kind: 'seq2seq-greedy', config: SEQ2SEQ, srcLen: 32, decoding: 'full-prefix' } },
  { id: 'greedy-32-kv', title: 'greedy-32 with the key/value cache (encode once, one step per token)', seed: 106, shape: { kind: 'seq2seq-greedy', config: SEQ2SEQ, srcLen: 32, decoding: 'cached' }, engines: CACHED_ENGINES },
  { id: 'greedy-128-base', title: 'seq2seq greedy decoding, 128 tokens (W-base core, vocab 8000, src 64), full prefix', seed: 107, shape: { kind: 'seq2seq-greedy', config: SEQ2SEQ_BASE, srcLen: 64, decoding: 'full-prefix' }, engines: FULL_PREFIX_BASE },
  { id: 'greedy-128-base-kv', title: 'greedy-128-base with the key/value cache', seed: 107, shape: { kind: 'seq2seq-greedy', config: SEQ2SEQ_BASE, srcLen: 64, decoding: 'cached' }, engines: CACHED_ENGINES },
];

/** The ids of the workloads that decode with the key/value cache (the ORT key/value peers run only these). */
export const CACHED_WORKLOADS: readonly string[] = WORKLOADS.filter((w) => w.shape.kind === 'seq2seq-greedy' && w.shape.decoding === 'cached').map((w) => w.id);

/** The workloads the int8-weight rows run (issue 17): W-small, W-base and greedy decoding. */
export const QUANTIZED_WORKLOADS: readonly string[] = ['w-small', 'w-base', 'greedy-32', 'greedy-32-kv', 'greedy-128-base', 'greedy-128-base-kv'];

/** Tokens one run generates, for the decoding workloads (their configs have no eos: always maxDecode). */
export function tokensPerRun(shape: WorkloadShape): number | undefined {
  return shape.kind === 'seq2seq-greedy' ? shape.config.maxDecode : undefined;
}

/** The workload `--quick` runs: the smallest Transformer. */
export const QUICK_WORKLOADS = ['w-small'] as const;

/** The parts an engine loads for a workload, in the order the workload runs them. */
export function workloadParts(shape: WorkloadShape): ModelPart[] {
  switch (shape.kind) {
    case 'transformer': return [{ kind: 'transformer', config: shape.config }];
    case 'encoder-layer': return [{ kind: 'encoder-layer', config: shape.config }];
    case 'gemm': return [{ kind: 'gemm', m: shape.m, k: shape.k, n: shape.n }];
    case 'seq2seq-greedy': return shape.decoding === 'cached'
      ? [{ kind: 'seq2seq-encode', config: shape.config }, { kind: 'seq2seq-step', config: shape.config }]
      : [{ kind: 'seq2seq-encoder', config: shape.config }, { kind: 'seq2seq-decoder', config: shape.config }];
    default: return shape satisfies never;
  }
}

/** The file stem of a part's exported model (bench/data/<id>/<stem>.onnx). */
export function partStem(part: ModelPart): string {
  switch (part.kind) {
    case 'seq2seq-encoder': return 'encoder';
    case 'seq2seq-decoder': return 'decoder';
    case 'seq2seq-encode': return 'encode';
    case 'seq2seq-step': return 'step';
    default: return 'model';
  }
}

export function findWorkload(id: string): WorkloadDef {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload "${id}" (known: ${WORKLOADS.map((x) => x.id).join(', ')})`);
  return w;
}
