// The WebAssembly backend: one module per kernel plan, emitted by smelt's own encoder, with
// SIMD128 kernels (relaxed SIMD where the engine accepts it) and optional worker threads over a
// shared memory. Registered as "wasm"; `simd` and `threads` choose the build.

import { type KernelPlan, compileGraph, lowerToPlan } from '@smelt/compiler';
import type { Graph } from '@smelt/ir';
import type { CompileOptions, EmittingBackend, TensorInputs } from '../backend.ts';
import { checkGraph } from '../graph-checks.ts';
import { type WasmArtifact, wasmArtifact } from './artifact.ts';
import { type WasmProgram, generateProgram } from './codegen/program.ts';
import type { SimdLevel } from './codegen/context.ts';
import { WASM_CAPABILITIES } from './kernels/index.ts';
import { wasmModuleFiles } from './aot/export.ts';
import { WasmExecutable } from './runtime/executable.ts';
import { weightsDtypeOf } from '../quantize.ts';
import { relaxedSimdAvailable, relaxedSimdKnown, relaxedThreadsKnown, simdUnavailable, threadsUnavailable } from './runtime/features.ts';

export { WasmExecutable } from './runtime/executable.ts';
export type { WasmProgram } from './codegen/program.ts';
export type { WasmArtifact } from './artifact.ts';
export { relaxedSimdAvailable } from './runtime/features.ts';
export { wasmModuleFiles } from './aot/export.ts';

export interface WasmCompileOptions extends CompileOptions {
  /** SIMD build: relaxed (fused multiply-add) when the engine accepts it under 'auto' (the default). */
  readonly simd?: 'auto' | SimdLevel;
  /** Threads that run each kernel (1 = no workers, the default); at most the number of cores. */
  readonly threads?: number;
}

/** The kernel plan the backend compiles: optimized unless `optimize: false`. */
export function wasmPlan(graph: Graph, options: WasmCompileOptions = {}): KernelPlan {
  return options.optimize === false ? lowerToPlan(graph) : compileGraph(graph).plan;
}

/**
 * The SIMD build for `simd`: 'auto' is relaxed once relaxedSimdAvailable() has found it accepted,
 * and with threads once it has found relaxed SIMD accepted over a shared memory too; plain otherwise.
 */
function resolveSimd(simd: WasmCompileOptions['simd'] = 'auto', threads = 1): SimdLevel {
  if (simd !== 'auto') return simd;
  return (threads > 1 ? relaxedThreadsKnown() : relaxedSimdKnown()) ? 'relaxed' : 'plain';
}

function threadCount(options: WasmCompileOptions): number {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`wasm: threads must be a positive integer, got ${threads}`);
  const why = threads > 1 ? threadsUnavailable() : undefined;
  if (why) throw new Error(`wasm: threads: ${why}`);
  return threads;
}

/** Generate the module for a plan (no instantiation). Run relaxedSimdAvailable() first for 'auto' to pick relaxed. */
export function emitWasm(plan: KernelPlan, options: WasmCompileOptions = {}): WasmArtifact {
  const threads = threadCount(options);
  const weightsDtype = weightsDtypeOf(options.weightsDtype);
  return wasmArtifact(plan, generateProgram(plan, { simd: resolveSimd(options.simd, threads), threads: threads > 1, ...(weightsDtype === 'f32' ? {} : { weightsDtype }) }), threads);
}

/** Instantiate an artifact: weights written and packed, prologue run, workers started. */
export async function loadWasm(artifact: WasmArtifact, weights: TensorInputs): Promise<WasmExecutable> {
  const { program, threads } = artifact;
  if (program.options.simd === 'relaxed' && !(await relaxedSimdAvailable())) throw new Error('wasm: relaxed SIMD is not available in this engine');
  if (program.options.simd === 'relaxed' && program.options.threads && !relaxedThreadsKnown()) {
    throw new Error(`wasm: relaxed SIMD over a shared memory (threads: ${threads}) is not accepted by this engine; use simd: 'auto' (falls back to plain SIMD) or 'plain'`);
  }
  if (threads === 1) return WasmExecutable.load(program, weights);
  const { startPool } = await import('./runtime/threads.ts');
  return WasmExecutable.load(program, weights, (module, memory) => startPool(module, memory, program, threads));
}

export async function compileWasm(graph: Graph, weights: TensorInputs, options: WasmCompileOptions = {}): Promise<WasmExecutable> {
  checkGraph(graph, weights, options);
  await relaxedSimdAvailable();
  return loadWasm(emitWasm(wasmPlan(graph, options), options), weights);
}

/** The module of a plan, as emitWasm makes it (after the relaxed SIMD check). */
export async function wasmProgram(plan: KernelPlan, options: WasmCompileOptions = {}): Promise<WasmProgram> {
  await relaxedSimdAvailable();
  return emitWasm(plan, options).program;
}

export const wasmBackend: EmittingBackend<WasmArtifact> = {
  name: 'wasm',
  description: 'WebAssembly SIMD128 kernels (relaxed SIMD when available), optional worker threads; one module per plan',
  capabilities: WASM_CAPABILITIES,
  async unavailableReason() {
    const why = simdUnavailable();
    await relaxedSimdAvailable();
    return why;
  },
  compile(graph: Graph, weights: TensorInputs, options?: WasmCompileOptions) {
    return compileWasm(graph, weights, options);
  },
  async exportFiles(graph, weights, options) {
    checkGraph(graph, weights, options);
    return wasmModuleFiles(wasmPlan(graph, options), weights, weightsDtypeOf(options?.weightsDtype));
  },
  emit: (plan: KernelPlan) => emitWasm(plan),
  load: loadWasm,
};
