// jax-js (@jax-js/jax) on its wasm device (single-threaded in Node: its thread pool needs a global
// Web Worker, which Node does not have) and its webgpu device (Dawn through the webgpu package),
// running the bench's model code through TensorLib, each forward under jit() (its kernel fusion).

import type * as JAX from '@jax-js/jax';
import type { TensorLib } from '../models/tensor-lib.ts';
import type { Engine } from './engine.ts';
import { libEngine } from './lib-engine.ts';
import { ensureNavigator, installWebGpu } from './web-globals.ts';

export type JaxDevice = 'wasm' | 'webgpu';
type Arr = JAX.Array;

/** Additive causal mask: −1e9 above the diagonal (exp of it is exactly 0 in f32, as torch's −inf). */
function causalMask(lq: number, lk: number): Float32Array {
  const m = new Float32Array(lq * lk);
  for (let i = 0; i < lq; i++) for (let j = i + 1; j < lk; j++) m[i * lk + j] = -1e9;
  return m;
}

function jaxLib(jax: typeof JAX): TensorLib<Arr> {
  const { numpy: np, nn } = jax;
  const compiled: { dispose(): void }[] = [];
  return {
    fromF32: (data, shape) => np.array(data, { shape: [...shape] }),
    fromI32: (data, shape) => np.array(data, { shape: [...shape], dtype: np.int32 }),
    shape: (x) => x.shape,
    keep: (x) => x.ref,
    drop: (x) => x.dispose(),
    matmul: (a, b) => np.matmul(a, b),
    linear(x, w, b, relu) {
      const y = np.matmul(x, w).add(b);
      return relu ? nn.relu(y) : y;
    },
    add: (a, b) => a.add(b),
    scale: (x, s) => x.mul(s),
    layerNorm: (x, w, b, eps) => nn.standardize(x, -1, { epsilon: eps }).mul(w).add(b),
    // nn.dotProductAttention would be the natural call, but it parses an einsum with Iterator
    // helpers (Node 22+), so on Node 20 attention is written out: heads as a batch axis.
    attention(q, k, v, heads, causal) {
      const [lq, d] = q.shape;
      const lk = k.shape[0];
      const split = (x: Arr, n: number) => x.reshape([n, heads, d / heads]).transpose([1, 0, 2]);
      let scores = np.matmul(split(q, lq), np.matrixTranspose(split(k, lk))).mul(1 / Math.sqrt(d / heads));
      if (causal) scores = scores.add(np.array(causalMask(lq, lk), { shape: [lq, lk] }));
      return np.matmul(nn.softmax(scores, -1), split(v, lk)).transpose([1, 0, 2]).reshape([lq, d]);
    },
    gather: (table, ids) => np.take(table, ids, 0),
    rows: (x, start, count) => x.slice([start, start + count]),
    argmax: (x) => np.argmax(x, -1),
    compile(fn) {
      const f = jax.jit(fn);
      compiled.push(f);
      return f as (...args: Arr[]) => Arr;
    },
    async read(x) {
      const shape = x.shape;
      const data = (await x.data()) as Float32Array | Int32Array;
      return { data, shape };
    },
    dispose: (x) => x.dispose(),
  };
}

async function setUp(device: JaxDevice): Promise<{ jax: typeof JAX; adapter?: string } | { reason: string }> {
  ensureNavigator();
  let adapter: string | undefined;
  if (device === 'webgpu') {
    const gpu = await installWebGpu();
    if ('reason' in gpu) return gpu;
    adapter = gpu.adapter;
  }
  const jax = await import('@jax-js/jax');
  const devices = await jax.init(device);
  if (!devices.includes(device)) return { reason: `jax-js init('${device}') found no ${device} device` };
  jax.defaultDevice(device);
  return { jax, adapter };
}

export function jaxEngine(device: JaxDevice): Engine {
  let setup: ReturnType<typeof setUp> | undefined;
  const ready = () => (setup ??= setUp(device));
  return libEngine(
    `jax-${device}`,
    async () => {
      const s = await ready();
      if ('reason' in s) throw new Error(s.reason);
      return jaxLib(s.jax);
    },
    async () => {
      const s = await ready();
      const about: Record<string, string> = { device, threads: device === 'wasm' ? '1' : 'n/a' };
      if ('adapter' in s && s.adapter) about.adapter = s.adapter;
      return about;
    },
    async () => {
      const s = await ready().catch((e: Error) => ({ reason: e.message }));
      return 'reason' in s ? s.reason : undefined;
    },
  );
}
