// An Engine over a TensorLib: TensorFlow.js and jax-js run the bench's own model code
// (models/transformer.ts) on the shared weights. This file maps each model part to its forward
// function and moves tensors between smelt's host form (with the batch axis) and the library.

import { type Tensor, tensor } from '@smelt/ir';
import { inputOf } from '@smelt/backends';
import type { ModelPart } from '../workloads/defs.ts';
import { hostParams, Params } from '../models/params.ts';
import type { TensorLib } from '../models/tensor-lib.ts';
import {
  encoderLayerForward, seq2seqDecoderForward, seq2seqEncoderForward, transformerForward,
} from '../models/transformer.ts';
import type { Engine, EngineExecutable, LoadContext } from './engine.ts';

interface PartIO {
  readonly inputs: readonly string[];
  readonly output: string;
  /** Inputs and outputs carry a leading batch axis of 1 that the model code does not. */
  readonly batched: boolean;
}

function partIO(part: ModelPart): PartIO {
  switch (part.kind) {
    case 'transformer': return { inputs: ['src', 'tgt'], output: 'out', batched: true };
    case 'encoder-layer': return { inputs: ['src'], output: 'out', batched: true };
    case 'gemm': return { inputs: ['a'], output: 'c', batched: false };
    case 'seq2seq-encoder': return { inputs: ['src'], output: 'memory', batched: true };
    case 'seq2seq-decoder': return { inputs: ['memory', 'tgt'], output: 'next', batched: true };
    case 'seq2seq-encode': case 'seq2seq-step': throw new Error(`the peers' model code has no ${part.kind} (cached decoding)`);
    default: return part satisfies never;
  }
}

function forwardOf<T>(L: TensorLib<T>, P: Params<T>, part: ModelPart): (...xs: T[]) => T {
  switch (part.kind) {
    case 'transformer': return transformerForward(L, P, part.config);
    case 'encoder-layer': return encoderLayerForward(L, P, part.config);
    case 'gemm': return (a: T) => L.matmul(a, P.get('b'));
    case 'seq2seq-encoder': return seq2seqEncoderForward(L, P, part.config);
    case 'seq2seq-decoder': return seq2seqDecoderForward(L, P, part.config);
    case 'seq2seq-encode': case 'seq2seq-step': throw new Error(`the peers' model code has no ${part.kind} (cached decoding)`);
    default: return part satisfies never;
  }
}

function toLib<T>(L: TensorLib<T>, t: Tensor, batched: boolean): T {
  const shape = batched ? t.shape.slice(1) : t.shape;
  if (batched && t.shape[0] !== 1) throw new Error(`the peers' model code runs batch 1, got shape [${t.shape.join(', ')}]`);
  if (t.dtype === 'f32') return L.fromF32(t.data as Float32Array, shape);
  if (t.dtype === 'i32') return L.fromI32(t.data as Int32Array, shape);
  throw new Error(`unsupported input dtype ${t.dtype}`);
}

/** The weights a part reads (seq2seq's halves share one file; seq2seq adds the positional table). */
function partParams<T>(L: TensorLib<T>, part: ModelPart, ctx: LoadContext): Params<T> {
  const pe = part.kind === 'seq2seq-encoder' || part.kind === 'seq2seq-decoder' ? { maxLen: part.config.maxLen, dModel: part.config.dModel } : undefined;
  return new Params(L, hostParams(ctx.weights, pe));
}

export function libEngine<T>(name: string, L: () => Promise<TensorLib<T>>, about: () => Promise<Record<string, string>>, available: () => Promise<string | undefined>): Engine {
  let lib: TensorLib<T> | undefined;
  const ready = async () => (lib ??= await L());
  return {
    name,
    available,
    describe: about,
    async load(part: ModelPart, ctx: LoadContext): Promise<EngineExecutable> {
      const Lib = await ready();
      const io = partIO(part);
      const params = partParams(Lib, part, ctx);
      const fn = Lib.compile(forwardOf(Lib, params, part));
      return {
        async run(inputs) {
          const args = io.inputs.map((n) => toLib(Lib, inputOf(inputs, n) as Tensor, io.batched));
          const out = await Lib.read(fn(...args));
          const shape = io.batched ? [1, ...out.shape] : [...out.shape];
          const t = out.data instanceof Int32Array ? tensor('i32', shape, out.data) : tensor('f32', shape, out.data);
          return new Map([[io.output, t]]);
        },
        dispose() {
          params.dispose();
        },
      };
    },
  };
}
