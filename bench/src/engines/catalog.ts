// Every engine the bench knows, by name: smelt's registered backends first (engines/smelt.ts),
// then the peers. Peer packages are imported only inside `create`, in the engine's own process.

import { CACHED_WORKLOADS, QUANTIZED_WORKLOADS } from '../workloads/defs.ts';
import type { EngineLimit, EngineSpec } from './engine.ts';
import { smeltOnnxSpecs } from './smelt-onnx.ts';
import { smeltSpecs } from './smelt.ts';

/** tfjs's cpu backend (plain JS, ~0.25 GFLOP/s here) times what issue 4 compares: W-small and GEMM 512. */
const TFJS_CPU: EngineLimit = { workloads: ['w-small', 'gemm-512'], why: 'plain-JS tfjs is ~0.25 GFLOP/s here: only W-small and GEMM 512 (issue 4) by default' };
/** On a software adapter, first runs compile shaders for minutes per new shape (greedy decoding has 32). */
const WEBGPU_PEERS: EngineLimit = { workloads: ['w-small', 'w-base', 'gemm-512'], why: 'shader compiles per shape take minutes on lavapipe: W-small, W-base and GEMM 512 (issue 6) by default' };

/** ORT on the key/value-cache export (encode.onnx, step.onnx): only the workloads that decode with the cache. */
const ORT_KV: EngineLimit = { workloads: CACHED_WORKLOADS, why: 'runs the key/value-cache ONNX export (encode.onnx, step.onnx): only the -kv workloads', always: true };

const ORT_RUNS = [['node', 1], ['node', 2], ['web', 1], ['web', 2]] as const;

/** The int8 rows: the workloads issue 17 compares quantized weights on. */const Q8: EngineLimit = { workloads: QUANTIZED_WORKLOADS.filter((w) => !CACHED_WORKLOADS.includes(w)), why: 'int8 weights: W-small, W-base and full-prefix decoding (issue 17)' };
const Q8_KV: EngineLimit = { ...ORT_KV, why: 'int8 weights on the key/value-cache export: only the -kv workloads' };

const PEERS: readonly EngineSpec[] = [
  ...ORT_RUNS.map(([flavor, threads]): EngineSpec => ({
    name: `ort-${flavor}-${threads}t`, group: 'peer', needsOnnx: true,
    create: async () => (await import('./ort.ts')).ortEngine(`ort-${flavor}-${threads}t`, flavor, threads),
  })),
  ...ORT_RUNS.map(([flavor, threads]): EngineSpec => ({
    name: `ort-${flavor}-kv-${threads}t`, group: 'peer', needsOnnx: true, only: ORT_KV,
    create: async () => (await import('./ort.ts')).ortEngine(`ort-${flavor}-kv-${threads}t`, flavor, threads),
  })),
  {
    name: 'ort-web-q8-1t', group: 'peer', needsOnnx: true, quantized: true, only: Q8,
    create: async () => (await import('./ort.ts')).ortEngine('ort-web-q8-1t', 'web', 1, true),
  },
  {
    name: 'ort-web-kv-q8-1t', group: 'peer', needsOnnx: true, quantized: true, only: Q8_KV,
    create: async () => (await import('./ort.ts')).ortEngine('ort-web-kv-q8-1t', 'web', 1, true),
  },
  ...(['cpu', 'wasm', 'webgpu'] as const).map((backend): EngineSpec => ({
    name: `tfjs-${backend}`, group: 'peer', only: backend === 'cpu' ? TFJS_CPU : backend === 'webgpu' ? WEBGPU_PEERS : undefined, create: async () => (await import('./tfjs.ts')).tfjsEngine(backend),
  })),
  ...(['wasm', 'webgpu'] as const).map((device): EngineSpec => ({
    name: `jax-${device}`, group: 'peer', only: device === 'webgpu' ? WEBGPU_PEERS : undefined, create: async () => (await import('./jax.ts')).jaxEngine(device),
  })),
];

export function allEngines(): EngineSpec[] {
  return [...smeltSpecs(), ...smeltOnnxSpecs(), ...PEERS];
}

export function findEngine(name: string): EngineSpec {
  const spec = allEngines().find((e) => e.name === name);
  if (!spec) throw new Error(`unknown engine "${name}" (known: ${allEngines().map((e) => e.name).join(', ')})`);
  return spec;
}

/** Suffix of the engines that run another checkout's smelt (`--baseline-tree`): `smelt-wasm@base`. */
export const BASELINE_SUFFIX = '@base';

/**
 * `specs` with each smelt engine followed by its twin run from the checkout at `tree`
 * (`smelt-wasm@base`), so one bench invocation times both builds side by side, in the same rounds.
 */
export function withBaselineTwins(specs: readonly EngineSpec[], tree: string): EngineSpec[] {
  return specs.flatMap((s) => (s.group !== 'smelt' ? [s] : [s, {
    ...s, name: `${s.name}${BASELINE_SUFFIX}`, baseline: { tree, engine: s.name },
    create: () => Promise.reject(new Error(`${s.name}${BASELINE_SUFFIX} runs in ${tree}'s own engine process`)),
  }]));
}
