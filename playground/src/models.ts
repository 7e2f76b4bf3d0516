// The playground's built-in models, as a list: each says how to build its graphs, where its
// weights come from (trained, or a seeded random init) and what inputs a run gets. Adding a model
// is adding an entry (a builder from @smelt/models and its config).

import { type Graph, type Tensor, deserializeSafetensors } from '@smelt/ir';
import {
  type Seq2SeqConfig, type TorchTransformerConfig, SEQ2SEQ_GRAPHS, type Seq2SeqGraphName, buildModel, buildSeq2SeqGraph, initWeights, parseConfig, weightsFor,
} from '@smelt/models';
import toyConfig from '../../examples/transformer/toy-reverse/config.json' with { type: 'json' };
import toyWeightsUrl from '../../examples/transformer/toy-reverse/weights.safetensors?url';

export interface BuiltinModel {
  readonly id: string;
  readonly title: string;
  /** The graphs it offers; the first is the default. */
  readonly graphs: readonly string[];
  build(graph: string): Graph;
  /** Its weights for `graph`: the trained ones, or a seeded random init (said in `weightsNote`). */
  weights(graph: Graph): Promise<Map<string, Tensor>>;
  readonly weightsNote: string;
  /** The trained toy: the page offers its digit-reversing demo. */
  readonly toy?: Seq2SeqConfig;
}

const CORE = { activation: 'relu', layerNormEps: 1e-5, normFirst: false } as const;

const toy = parseConfig(toyConfig, 'toy-reverse/config.json') as Seq2SeqConfig;
let toyWeights: Promise<Map<string, Tensor>> | undefined;

function loadToyWeights(): Promise<Map<string, Tensor>> {
  toyWeights ??= fetch(toyWeightsUrl).then(async (r) => {
    if (!r.ok) throw new Error(`toy weights: ${r.status} ${r.statusText} (${toyWeightsUrl})`);
    return deserializeSafetensors(new Uint8Array(await r.arrayBuffer()), 'toy-reverse/weights.safetensors');
  });
  return toyWeights;
}

function torchModel(id: string, title: string, cfg: TorchTransformerConfig, seed: number): BuiltinModel {
  return {
    id, title, graphs: ['model'],
    build: () => buildModel(cfg),
    weights: async (g) => initWeights(g, seed),
    weightsNote: `seeded random weights (seed ${seed})`,
  };
}

/** A model of the zoo (GPT-2, BERT, …) by config, with seeded random weights. */
function zooModel(id: string, title: string, raw: Record<string, unknown>, seed: number): BuiltinModel {
  const cfg = parseConfig(raw, `${id} (built in)`);
  return { id, title, graphs: ['model'], build: () => buildModel(cfg), weights: async (g) => initWeights(g, seed), weightsNote: `seeded random weights (seed ${seed})` };
}

export const MODELS: readonly BuiltinModel[] = [
  {
    id: 'toy', title: 'Toy seq2seq, trained to reverse digits (d64, 2+2 layers)', graphs: ['model', ...SEQ2SEQ_GRAPHS.filter((g) => g !== 'model')],
    build: (graph) => (graph === 'model' ? buildModel(toy) : buildSeq2SeqGraph(toy, graph as Seq2SeqGraphName)),
    weights: async (g) => weightsFor(g, await loadToyWeights()),
    weightsNote: 'trained weights (examples/transformer/toy-reverse)',
    toy,
  },
  torchModel('w-small', 'W-small: Transformer d256, 4 heads, 3+3 layers, ff 1024', { model: 'torch-transformer', dModel: 256, nHead: 4, numEncoderLayers: 3, numDecoderLayers: 3, dimFeedforward: 1024, ...CORE }, 101),
  torchModel('base', 'Transformer (base, "Attention is all you need"): d512, 8 heads, 6+6 layers, ff 2048', { model: 'torch-transformer', dModel: 512, nHead: 8, numEncoderLayers: 6, numDecoderLayers: 6, dimFeedforward: 2048, ...CORE }, 102),
  zooModel('gpt2-mini', 'GPT-2 architecture, small: d128, 4 heads, 4 layers, vocab 512', { model: 'gpt2', vocabSize: 512, maxPositions: 64, dModel: 128, nHead: 4, numLayers: 4, dimFeedforward: 512, layerNormEps: 1e-5 }, 103),
  zooModel('bert-mini', 'BERT architecture, small: d128, 4 heads, 4 layers, vocab 512, 2 labels', { model: 'bert', vocabSize: 512, maxPositions: 64, typeVocabSize: 2, dModel: 128, nHead: 4, numLayers: 4, dimFeedforward: 512, layerNormEps: 1e-12, numLabels: 2 }, 104),
];
