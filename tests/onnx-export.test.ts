// ONNX export of whole models: the spec's Transformer (the trained toy config and a small random
// torch-transformer with padding masks), the seq2seq encode and step graphs, and the zoo's GPT-2,
// BERT and Llama (tests/goldens configs and weights; Llama's cached step too), each exported raw and optimized (fused ops written as
// standard ONNX ops): onnx.checker (full_check) accepts it, ONNX Runtime runs it to the interpreter's
// outputs within 1e-4, its inputs, outputs and initializers carry the model's own names, and
// importing it back gives a graph the interpreter runs to the same outputs. Also: outputs that are
// inputs, weights or one value twice; dims solved from computed input dims; the named errors.
// Round trips of the PyTorch-exported files (tests/onnx-fixtures.ts) are in onnx-round-trip.test.ts.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Graph, GraphBuilder, type Tensor, Var, input, interpret, parseGraph, resolveShape, tensor } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { compileGraph } from '@smelt/compiler';
import { type CausalLMConfig, buildCausalLM, buildModel, buildSeq2SeqEncode, buildSeq2SeqStep, initWeights, parseConfig, type Seq2SeqConfig } from '@smelt/models';
import { OnnxExportError, exportOnnx, importOnnx } from '@smelt/onnx';
import { decodeModel } from '../packages/onnx/src/decode.ts';
import { describeIfAvailable } from './gate.ts';
import { GOLDEN_DIR } from './golden-util.ts';
import { checkModels, checkerUnavailable, expectOutputs, ortOutputs, tensorOutputs } from './onnx-export-util.ts';

const ROOT = path.resolve(__dirname, '..');
const json = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

interface ModelCase {
  readonly name: string;
  readonly graph: Graph;
  readonly weights: Map<string, Tensor>;
  readonly inputs: Map<string, Tensor>;
}

let seed = 11;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

/** Inputs for a graph at symbol values `env`: ids below `vocab(name)`, masks padding the last key of batch row 1, floats in [-1, 1). */
function inputsFor(g: Graph, env: Record<string, number>, vocab: (input: string) => number): Map<string, Tensor> {
  return new Map(g.inputs.map((v) => {
    const shape = resolveShape(v.type.shape, new Map(Object.entries(env)));
    const t = tensor(v.type.dtype, shape);
    const d = t.data as Float32Array;
    const last = shape[shape.length - 1];
    for (let i = 0; i < d.length; i++) {
      d[i] = v.type.dtype === 'f32' ? rand() * 2 - 1 : v.type.dtype === 'bool' ? +(i === 2 * last - 1) : Math.floor(rand() * vocab(v.name!));
    }
    return [v.name!, t];
  }));
}

function goldenCase(name: string, masks: object = {}): ModelCase {
  const dir = path.join(GOLDEN_DIR, name);
  const cfg = parseConfig(json(path.join(dir, 'config.json')));
  const graph = buildModel(cfg, masks);
  const sizes = cfg as unknown as Record<string, number>;
  const vocab = (input: string) => (input === 'token_type_ids' ? sizes.typeVocabSize : sizes.vocabSize);
  return { name, graph, weights: readSafetensors(path.join(dir, 'weights.safetensors')), inputs: inputsFor(graph, { batch: 2, seq: 6 }, vocab) };
}

function modelCases(): ModelCase[] {
  const toyDir = path.join(ROOT, 'examples/transformer/toy-reverse');
  const toy = parseConfig(json(path.join(toyDir, 'config.json'))) as Seq2SeqConfig;
  const toyGraph = buildModel(toy, { srcPadding: true });
  const small = parseConfig({
    model: 'torch-transformer', dModel: 16, nHead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 24,
    activation: 'gelu', layerNormEps: 1e-5, normFirst: true,
  });
  const smallGraph = buildModel(small, { srcPadding: true, tgtPadding: true });
  const encode = buildSeq2SeqEncode(toy, { srcPadding: true });
  const toyWeights = readSafetensors(path.join(toyDir, 'weights.safetensors'));
  // Cached decoding's steps: inputs of `past` positions, outputs of `past + 1` (a computed dim_param).
  const step = buildSeq2SeqStep(toy, { srcPadding: true });
  const llama = goldenCase('llama');
  const llamaStep = buildCausalLM(parseConfig(json(path.join(GOLDEN_DIR, 'llama', 'config.json'))) as CausalLMConfig, 'step');
  const env = { batch: 2, srcLen: 5, tgtLen: 4 };
  return [
    { name: 'toy seq2seq', graph: toyGraph, weights: toyWeights, inputs: inputsFor(toyGraph, env, () => toy.srcVocab) },
    { name: 'random torch-transformer', graph: smallGraph, weights: initWeights(smallGraph, 3), inputs: inputsFor(smallGraph, env, () => 1) },
    { name: 'seq2seq encode', graph: encode, weights: toyWeights, inputs: inputsFor(encode, env, () => toy.srcVocab) },
    { name: 'seq2seq step', graph: step, weights: toyWeights, inputs: inputsFor(step, { ...env, past: 3 }, () => toy.tgtVocab) },
    goldenCase('gpt2'),
    goldenCase('bert', { attentionMask: true, tokenTypeIds: true }),
    goldenCase('llama'),
    { ...llama, name: 'llama step', graph: llamaStep, inputs: inputsFor(llamaStep, { batch: 2, past: 4 }, () => 64) },
  ];
}

const CASES = modelCases();
const VARIANTS = CASES.flatMap((c) => [
  { ...c, variant: 'raw', bytes: exportOnnx(c.graph, c.weights) },
  { ...c, variant: 'optimized', bytes: exportOnnx(compileGraph(c.graph).graph, c.weights) },
]);

describe.each(VARIANTS.map((v) => [`${v.name} (${v.variant})`, v]))('ONNX export of %s', (_, v) => {
  it('runs in ONNX Runtime to the interpreter\'s outputs within 1e-4', async () => {
    expectOutputs(await ortOutputs(v.bytes, v.inputs), tensorOutputs(interpret(v.graph, v.inputs, v.weights)), v.name);
  });

  it('names its inputs, outputs and initializers as the model does, dims by their symbols', () => {
    const m = decodeModel(v.bytes);
    expect(m.opsets.get('')).toBe(17);
    expect(m.graph.inputs.map((i) => i.name)).toEqual(v.graph.inputs.map((i) => i.name));
    expect(m.graph.outputs.map((o) => o.name)).toEqual(v.graph.outputs.map((o) => o.name));
    const inits = new Set(m.graph.initializers.map((t) => t.name));
    for (const p of v.graph.params) expect(inits.has(p.name!), p.name).toBe(true);
    const dims = (shape: readonly ({ value: number } | { param: string } | object)[] | undefined) =>
      shape?.map((d) => ('value' in d ? d.value : 'param' in d ? d.param : '?'));
    expect(m.graph.inputs.map((i) => dims(i.shape))).toEqual(v.graph.inputs.map((i) => i.type.shape));
    expect(m.graph.outputs.map((o) => dims(o.shape))).toEqual(v.graph.outputs.map((o) => o.value.type.shape));
  });

  it('imports back to a graph the interpreter runs to the same outputs', () => {
    const back = importOnnx(v.bytes, { file: `${v.name}.onnx` });
    const want = interpret(v.graph, v.inputs, v.weights);
    const got = interpret(back.graph, v.inputs, back.weights);
    expectOutputs(tensorOutputs(got), tensorOutputs(want), `${v.name} re-imported`);
  });
});

describeIfAvailable('onnx-export', 'python3-onnx', checkerUnavailable(), 'onnx.checker on the exported models', () => {
  it('accepts every exported model (full_check)', () => {
    const verdicts = checkModels(new Map([...VARIANTS.map((v) => [`${v.name} (${v.variant})`, v.bytes] as const), ['names', NAMES.bytes]]));
    expect([...verdicts].filter(([, verdict]) => verdict !== 'ok')).toEqual([]);
    expect(verdicts.size).toBe(VARIANTS.length + 1);
  }, 300_000);
});

/** An input passed through, a weight as an output, one value under two names. */
function namesCase(): { graph: Graph; weights: Map<string, Tensor>; bytes: Uint8Array } {
  const b = new GraphBuilder('names');
  const x = input(b, 'x', 'f32', ['n', 2]);
  const w = new Var(b, b.param('w', 'f32', [2]));
  const sum = x.add(w);
  for (const [name, v] of [['x', x], ['y', x], ['w_out', w], ['z', sum], ['z2', sum]] as const) b.output(name, v.value);
  const weights = new Map([['w', tensor('f32', [2], Float32Array.of(1, 2))]]);
  return { graph: b.graph, weights, bytes: exportOnnx(b.graph, weights) };
}
const NAMES = namesCase();

describe('ONNX export names', () => {
  it('writes an input passed through, a weight as an output and one value under two names', async () => {
    const inputs = new Map([['x', tensor('f32', [3, 2], Float32Array.of(5, 6, 7, 8, 9, 10))]]);
    const got = await ortOutputs(NAMES.bytes, inputs);
    expect([...got.keys()]).toEqual(['x', 'y', 'w_out', 'z', 'z2']);
    expectOutputs(got, tensorOutputs(interpret(NAMES.graph, inputs, NAMES.weights)), 'names');
  });
});

describe('ONNX export of dims', () => {
  it('solves a symbol that an input binds only inside a computed dim (2 * k + 1)', async () => {
    const g = parseGraph('graph @solve {\n  input %x : f32[2 * k + 1]\n  %0 = iota() {shape = [k, 2], axis = 0, dtype = i32} : i32[k, 2]\n  output y = %0\n}');
    const inputs = new Map([['x', tensor('f32', [7])]]);
    expectOutputs(await ortOutputs(exportOnnx(g, new Map()), inputs), tensorOutputs(interpret(g, inputs, new Map())), 'solved k');
  });

  it('refuses a symbol the inputs do not determine, naming the node and op', () => {
    const g = parseGraph('graph @product {\n  input %x : f32[a * b]\n  %0 = iota() {shape = [a], axis = 0, dtype = f32} : f32[a]\n  output y = %0\n}');
    expect(() => exportOnnx(g, new Map())).toThrow(/node y \(op iota\): ONNX export does not support it: dim symbol a is only bound inside a \* b, which does not determine it/);
  });
});

describe('ONNX export errors', () => {
  it('names the node and op it cannot write, and that ONNX export does not support it', () => {
    const g = parseGraph('graph @g {\n  input %x : f32[n]\n  %0 = iota() {shape = [k], axis = 0, dtype = f32} : f32[k]\n  output y = %0\n}');
    expect(() => exportOnnx(g, new Map())).toThrow(OnnxExportError);
    expect(() => exportOnnx(g, new Map())).toThrow(/node y \(op iota\): ONNX export does not support it: dim symbol k is bound by no graph input's shape/);
  });

  it('names a parameter without a weight', () => {
    const c = CASES[0];
    const weights = new Map(c.weights);
    weights.delete(c.graph.params[0].name!);
    expect(() => exportOnnx(c.graph, weights)).toThrow(new RegExp(`parameter "${c.graph.params[0].name!.replace(/\./g, '\\.')}" has no weight`));
  });
});
