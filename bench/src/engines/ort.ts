// ONNX Runtime on the ONNX files scripts/export_onnx.py made from the shared weights:
// onnxruntime-node (native CPU execution provider, intra-op threads 1 or 2) and onnxruntime-web
// (its wasm build, in Node; numThreads 1 or 2, set before the first session since the wasm module
// starts once per process). Token ids go in as int64, as PyTorch exported them. Both packages
// re-export onnxruntime-common, whose types are used here through onnxruntime-node. The same engine
// runs the key/value-cache export (encode.onnx, step.onnx: scripts/kv_decoding.py) as ort-*-kv-*:
// its inputs and outputs have the names of smelt's encode and step graphs, so the bench's one
// decoding loop (Seq2SeqGenerator over CachedDecoder) drives both; the first step's caches are empty
// ([batch, nHead, 0, headDim]). With `q8` it loads NAME.q8.onnx instead: the same model dynamically
// quantized to int8 (scripts/quantize_onnx.py), as transformers.js ships its q8 models.

import path from 'node:path';
import type * as OrtCommon from 'onnxruntime-node';
import { type Tensor, tensor } from '@smelt/ir';
import { inputOf } from '@smelt/backends';
import { type ModelPart, partStem } from '../workloads/defs.ts';
import type { Engine, EngineExecutable, LoadContext } from './engine.ts';

export type OrtFlavor = 'node' | 'web';
type Ort = typeof OrtCommon;

function toOrt(ort: Ort, t: Tensor): OrtCommon.Tensor {
  if (t.dtype === 'f32') return new ort.Tensor('float32', t.data as Float32Array, [...t.shape]);
  if (t.dtype === 'i32') return new ort.Tensor('int64', BigInt64Array.from(t.data as Int32Array, (x) => BigInt(x)), [...t.shape]);
  throw new Error(`unsupported input dtype ${t.dtype}`);
}

function fromOrt(t: OrtCommon.Tensor): Tensor {
  const shape = t.dims.map(Number);
  if (t.type === 'float32') return tensor('f32', shape, (t.data as Float32Array).slice());
  if (t.type === 'int64') return tensor('i32', shape, Int32Array.from(t.data as BigInt64Array, (x) => Number(x)));
  throw new Error(`unsupported output type ${t.type}`);
}

async function loadOrt(flavor: OrtFlavor, threads: number): Promise<Ort> {
  if (flavor === 'node') return (await import('onnxruntime-node')) as unknown as Ort;
  const ort = (await import('onnxruntime-web')) as unknown as Ort & { env: { wasm: { numThreads?: number } } };
  ort.env.wasm.numThreads = threads;
  return ort;
}

function sessionOptions(flavor: OrtFlavor, threads: number): OrtCommon.InferenceSession.SessionOptions {
  const common = { graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;
  return flavor === 'node'
    ? { ...common, executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 }
    : { ...common, executionProviders: ['wasm'] };
}

/** `name`: ort-node-1t, or ort-node-kv-1t for the key/value-cache export (the part's stem picks the file either way); `q8`: the int8 files. */
export function ortEngine(name: string, flavor: OrtFlavor, threads: number, q8 = false): Engine {
  let ortP: Promise<Ort> | undefined;
  const ready = () => (ortP ??= loadOrt(flavor, threads));
  return {
    name,
    async available() {
      try {
        await ready();
        return undefined;
      } catch (e) {
        return `onnxruntime-${flavor} failed to load: ${(e as Error).message}`;
      }
    },
    async describe() {
      const ort = await ready();
      const v = (ort.env as { versions?: Record<string, string> }).versions ?? {};
      return { package: `onnxruntime-${flavor} ${v[flavor] ?? v.common ?? '?'}`, threads: String(threads), provider: flavor === 'node' ? 'cpu' : 'wasm', ...(q8 ? { weights: 'int8 (dynamic quantization)' } : {}) };
    },
    async load(part: ModelPart, ctx: LoadContext): Promise<EngineExecutable> {
      const ort = await ready();
      const session = await ort.InferenceSession.create(path.join(ctx.dir, `${partStem(part)}${q8 ? '.q8' : ''}.onnx`), sessionOptions(flavor, threads));
      return {
        async run(inputs) {
          const feeds = Object.fromEntries(session.inputNames.map((n) => [n, toOrt(ort, inputOf(inputs, n) as Tensor)]));
          const out = await session.run(feeds);
          return new Map(session.outputNames.map((n) => [n, fromOrt(out[n])]));
        },
        dispose() {
          void session.release();
        },
      };
    },
  };
}
