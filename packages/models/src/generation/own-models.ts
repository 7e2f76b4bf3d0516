// Greedy generation over models of the user's own (`smelt generate --model`, docs/FORMATS.md): no
// config, so what generation needs is read off the graphs. A causal LM takes token ids [batch, len]
// and gives logits [batch, len, vocab]; a seq2seq pair (as transformers.js ships translation
// models) is an encoder giving the memory and a decoder taking the memory and target ids, giving
// logits. Both decode by full prefix (generation/causal-lm.ts's greedyPrefixDecode): a model
// without a cache interface runs the whole sequence per token.

import { type Graph, type Tensor, type Value, isInteger, tensor } from '@smelt/ir';
import type { Executable } from '@smelt/backends';
import { type CausalLMGenerateOptions, greedyPrefixDecode } from './causal-lm.ts';
import type { GeneratedStep } from './generator.ts';
import { GenerationError } from './options.ts';
import { isIdentity, selectRows } from './rows.ts';

/** Where a causal LM takes its ids and gives its logits, and its vocabulary. */
export interface CausalLMContract {
  readonly ids: string;
  readonly logits: string;
  readonly vocabSize: number;
}

/** The encoder's memory output, the decoder's memory and ids inputs, its logits output and vocabulary. */
export interface Seq2SeqPairContract {
  readonly memory: string;
  readonly memoryInput: string;
  readonly ids: string;
  readonly logits: string;
  readonly vocabSize: number;
}

const describe = (vs: readonly Value[]) => vs.map((v) => `${v.name} ${v.type.dtype}[${v.type.shape.join(', ')}]`).join(', ') || 'none';

/** The logits: the output named `logits`, else the only output; f32 [batch, len, vocab], vocab a number. */
function logitsOf(g: Graph, what: string): { name: string; vocabSize: number } {
  const outs = g.outputs.map((o) => o.value);
  const v = g.outputs.find((o) => o.name === 'logits')?.value ?? (outs.length === 1 ? outs[0] : undefined);
  const vocab = v?.type.shape[2];
  if (!v || v.type.dtype !== 'f32' || v.type.shape.length !== 3 || typeof vocab !== 'number') {
    throw new GenerationError(`generate: ${what} must give logits f32 [batch, len, vocab] with a known vocab (an output named "logits", or its only output); its outputs: ${describe(outs)}`);
  }
  return { name: g.outputs.find((o) => o.value === v)!.name, vocabSize: vocab };
}

const isIds = (v: Value) => isInteger(v.type.dtype) && v.type.shape.length === 2;

/** A causal LM: one integer input [batch, len] (the ids) and its logits. */
export function causalLMContract(g: Graph, what: string): CausalLMContract {
  if (g.inputs.length !== 1 || !isIds(g.inputs[0])) {
    throw new GenerationError(`generate: ${what} must take one input, the token ids i32 [batch, len] (with --decoder it is a seq2seq encoder); its inputs: ${describe(g.inputs)}`);
  }
  const { name, vocabSize } = logitsOf(g, what);
  return { ids: g.inputs[0].name!, logits: name, vocabSize };
}

/** A seq2seq pair: the encoder's one output is the memory; the decoder takes it (its f32 input) and the ids (its integer input). */
export function seq2seqPairContract(encoder: Graph, decoder: Graph, what: { encoder: string; decoder: string }): Seq2SeqPairContract {
  if (encoder.outputs.length !== 1 || encoder.outputs[0].value.type.dtype !== 'f32') {
    throw new GenerationError(`generate: the encoder ${what.encoder} must give one f32 output, the memory; its outputs: ${describe(encoder.outputs.map((o) => o.value))}`);
  }
  const memoryInput = decoder.inputs.filter((v) => v.type.dtype === 'f32');
  const ids = decoder.inputs.filter(isIds);
  if (decoder.inputs.length !== 2 || memoryInput.length !== 1 || ids.length !== 1) {
    throw new GenerationError(`generate: the decoder ${what.decoder} must take two inputs, the encoder's memory (f32) and the target ids (i32 [batch, len]); its inputs: ${describe(decoder.inputs)}`);
  }
  const { name, vocabSize } = logitsOf(decoder, `the decoder ${what.decoder}`);
  return { memory: encoder.outputs[0].name, memoryInput: memoryInput[0].name!, ids: ids[0].name!, logits: name, vocabSize };
}

/** The prompt then greedy tokens, the whole sequence through the model per token. */
export function generateCausalLM(
  model: Executable, c: CausalLMContract, prompt: Tensor, options: CausalLMGenerateOptions, onStep?: (step: GeneratedStep) => void,
): Promise<Tensor<'i32'>> {
  const logits = async (prefix: Tensor) => (await model.run(new Map([[c.ids, prefix]]))).get(c.logits)!.data as Float32Array;
  return greedyPrefixDecode({ vocabSize: c.vocabSize }, logits, prompt, options, onStep);
}

/** Encode once, then bos and greedy tokens from the decoder over the whole target prefix per token: i32 [batch, 1 + steps]. */
export async function generateSeq2SeqPair(
  encoder: Executable, decoder: Executable, c: Seq2SeqPairContract, source: ReadonlyMap<string, Tensor>, bos: number,
  options: CausalLMGenerateOptions, onStep?: (step: GeneratedStep) => void,
): Promise<Tensor<'i32'>> {
  if (!Number.isSafeInteger(bos) || bos < 0 || bos >= c.vocabSize) throw new GenerationError(`generate: bos (--bos) must be an integer in [0, ${c.vocabSize}), got ${bos}`);
  const memory = (await encoder.run(source)).get(c.memory)!;
  const batch = memory.shape[0];
  const logits = async (prefix: Tensor, rows: readonly number[]) => {
    const feed = new Map([[c.memoryInput, isIdentity(rows, batch) ? memory : selectRows(memory, rows)], [c.ids, prefix]]);
    return (await decoder.run(feed)).get(c.logits)!.data as Float32Array;
  };
  return greedyPrefixDecode({ vocabSize: c.vocabSize }, logits, tensor('i32', [batch, 1], new Int32Array(batch).fill(bos)), options, onStep);
}
