// The targets each generated graph runs on: the interpreter on the optimized graph, and every
// backend on the raw graph and on the optimized one. wasm runs three builds: plain SIMD, relaxed
// SIMD, and two threads. A target that cannot run here says why and is left out.

import type { Graph, Tensor } from '@smelt/ir';
import { type CompileOptions, type Executable, getBackend, relaxedSimdAvailable } from '@smelt/backends';

export const TARGET_NAMES = ['reference', 'js', 'wasm', 'wasm-relaxed', 'wasm-threads', 'webgpu'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

interface TargetSpec {
  readonly backend: string;
  readonly options: object;
  /** Which graphs it compiles: false = as built, true = optimized. */
  readonly modes: readonly boolean[];
}

const SPECS: { readonly [T in TargetName]: TargetSpec } = {
  reference: { backend: 'reference', options: {}, modes: [true] }, // the raw graph is the oracle itself
  js: { backend: 'js', options: {}, modes: [false, true] },
  wasm: { backend: 'wasm', options: { simd: 'plain' }, modes: [false, true] },
  'wasm-relaxed': { backend: 'wasm', options: { simd: 'relaxed' }, modes: [false, true] },
  'wasm-threads': { backend: 'wasm', options: { threads: 2 }, modes: [false, true] },
  webgpu: { backend: 'webgpu', options: {}, modes: [false, true] },
};

/** What a differential run needs of a target: a name and a way to compile each graph mode. */
export interface Target {
  readonly name: string;
  /** Which graphs it compiles: false = as built, true = optimized. */
  readonly modes: readonly boolean[];
  compile(graph: Graph, weights: ReadonlyMap<string, Tensor>, optimize: boolean): Promise<Executable>;
}

/** A built-in target by name. */
export function target(name: TargetName): Target {
  return { name, modes: SPECS[name].modes, compile: (g, w, o) => compileFor(name, g, w, o) };
}

export function isTargetName(s: string): s is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(s);
}

/** Why a target cannot run here, or undefined. */
export async function targetUnavailable(t: TargetName): Promise<string | undefined> {
  const why = await getBackend(SPECS[t].backend).unavailableReason();
  if (why) return why;
  if (t === 'wasm-relaxed' && !(await relaxedSimdAvailable())) return 'relaxed SIMD is not available in this engine';
  return undefined;
}

/** Compile a graph for a target; unread-weight warnings are the generator's business, not the run's. */
export function compileFor(t: TargetName, graph: Graph, weights: ReadonlyMap<string, Tensor>, optimize: boolean): Promise<Executable> {
  const { backend, options } = SPECS[t];
  const opts: CompileOptions = { ...options, optimize, warn: () => undefined };
  return getBackend(backend).compile(graph, weights, opts);
}
