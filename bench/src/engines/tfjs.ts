// TensorFlow.js (tfjs-core 4.22) with its cpu (plain JS), wasm (XNNPACK; in Node single-threaded,
// its threaded build needs Web Workers) and webgpu (Dawn through the webgpu package) backends,
// running the bench's model code through TensorLib. Not tfjs-node: its install downloads a binary.

import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import type { TensorLib } from '../models/tensor-lib.ts';
import type { Engine } from './engine.ts';
import { libEngine } from './lib-engine.ts';
import { installWebGpu } from './web-globals.ts';

export type TfjsBackend = 'cpu' | 'wasm' | 'webgpu';

function tfjsLib(tf: typeof TF): TensorLib<TF.Tensor> {
  const NEG = -1e9; // exp(-1e9 - max) is exactly 0 in f32: a masked key, as torch's -inf
  return {
    fromF32: (data, shape) => tf.tensor(data, [...shape], 'float32'),
    fromI32: (data, shape) => tf.tensor(data, [...shape], 'int32'),
    shape: (x) => x.shape,
    keep: (x) => x,
    drop: () => {},
    matmul: (a, b) => tf.matMul(a, b),
    linear: (x, w, b, relu) => tf.fused.matMul({ a: x, b: w, bias: b, activation: relu ? 'relu' : 'linear' }),
    add: (a, b) => tf.add(a, b),
    scale: (x, s) => tf.mul(x, s),
    layerNorm(x, w, b, eps) {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
    },
    attention(q, k, v, heads, causal) {
      const [lq, d] = q.shape;
      const lk = k.shape[0];
      const split = (x: TF.Tensor, n: number) => tf.transpose(tf.reshape(x, [n, heads, d / heads]), [1, 0, 2]);
      let scores = tf.mul(tf.matMul(split(q, lq), split(k, lk), false, true), 1 / Math.sqrt(d / heads));
      if (causal) scores = tf.add(scores, tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([lq, lk]), -1, 0)), NEG));
      const out = tf.matMul(tf.softmax(scores), split(v, lk));
      return tf.reshape(tf.transpose(out, [1, 0, 2]), [lq, d]);
    },
    gather: (table, ids) => tf.gather(table, ids),
    rows: (x, start, count) => tf.slice(x, [start, 0], [count, -1]),
    argmax: (x) => tf.argMax(x, -1),
    compile: (fn) => (...args) => {
      const out = tf.tidy(() => fn(...args));
      tf.dispose(args);
      return out;
    },
    async read(x) {
      const data = (await x.data()) as Float32Array | Int32Array;
      const shape = x.shape;
      x.dispose();
      return { data, shape };
    },
    dispose: (x) => x.dispose(),
  };
}

type SetUp = { tf: typeof TF; adapter?: string } | { reason: string };

async function setUp(backend: TfjsBackend): Promise<SetUp> {
  const tf = await import('@tensorflow/tfjs-core');
  if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${path.dirname(main)}${path.sep}`);
  }
  let adapter: string | undefined;
  if (backend === 'webgpu') {
    const gpu = await installWebGpu();
    if ('reason' in gpu) return gpu;
    adapter = gpu.adapter;
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!(await tf.setBackend(backend))) return { reason: `tf.setBackend('${backend}') failed` };
  await tf.ready();
  return { tf, adapter };
}

export function tfjsEngine(backend: TfjsBackend): Engine {
  let setup: Promise<SetUp> | undefined;
  const ready = () => (setup ??= setUp(backend));
  return libEngine(
    `tfjs-${backend}`,
    async () => {
      const s = await ready();
      if ('reason' in s) throw new Error(s.reason);
      return tfjsLib(s.tf);
    },
    async () => {
      const s = await ready();
      const about: Record<string, string> = { package: `@tensorflow/tfjs-core ${'tf' in s ? s.tf.version_core : '?'}`, backend };
      if ('tf' in s && backend === 'wasm') about.threads = String(s.tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multi' : 1);
      if ('adapter' in s && s.adapter) about.adapter = s.adapter;
      return about;
    },
    async () => {
      const s = await ready().catch((e: Error) => ({ reason: e.message }));
      return 'reason' in s ? s.reason : undefined;
    },
  );
}
