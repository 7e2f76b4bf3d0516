// The one interface every engine of the bench implements, smelt backend or peer: say whether it
// can run here, and load a model part (with the workload's weights and its data folder, where the
// ONNX exports are) into an executable with smelt's run(named tensors) → named tensors contract.
// run/prepare.ts turns the loaded parts into the workload's run().

import type { Executable } from '@smelt/backends';
import type { Tensor } from '@smelt/ir';
import type { KernelSample } from '../report/kernel-profile.ts';
import type { ModelPart } from '../workloads/defs.ts';

export interface LoadContext {
  /** bench/data/<workload>/: weights, inputs, expected outputs, ONNX files. */
  readonly dir: string;
  readonly weights: ReadonlyMap<string, Tensor>;
}

export interface EngineExecutable extends Executable {
  /** ms its backend took to compile the part (smelt engines: backend.compile, graph and weights to executable). */
  readonly compileMs?: number;
  /**
   * Counters summed over the runs since the last call, then reset (smelt-webgpu: dispatches,
   * passes, submits, bytes uploaded); undefined when the engine keeps none.
   */
  takeStats?(): Record<string, number> | undefined;
  /**
   * smelt engines whose backend profiles (wasm, webgpu): while on, run() is a profiled run
   * (Executable.profile, each kernel timed alone) and its kernels' samples are kept for takeProfile.
   */
  setProfiling?(on: boolean): void;
  /** The kernel samples of the profiled runs since the last call, then reset. */
  takeProfile?(): KernelSample[];
}

export interface Engine {
  readonly name: string;
  /** Why it cannot run here, or undefined when it can. */
  available(): Promise<string | undefined>;
  load(part: ModelPart, ctx: LoadContext): Promise<EngineExecutable>;
  /** What it ran on, for the results (versions, threads, adapter). */
  describe(): Promise<Record<string, string>>;
}

export interface EngineLimit {
  readonly workloads: readonly string[];
  readonly why: string;
  /** It has nothing to run elsewhere: it gets no row on other workloads, even with --everywhere or --quick. */
  readonly always?: boolean;
}

/** How the bench names and finds an engine; `create` imports the engine's packages only when called. */
export interface EngineSpec {
  readonly name: string;
  readonly group: 'smelt' | 'peer';
  /** Runs only these workloads unless --everywhere (too slow elsewhere to time in the suite's budget). */
  readonly only?: EngineLimit;
  /** It runs the ONNX exports (scripts/export_onnx.py); a failed export makes its rows unavailable. */
  readonly needsOnnx?: boolean;
  /** Its weights are quantized (int8): its outputs get the looser check of run/check.ts. */
  readonly quantized?: boolean;
  /**
   * Run by another checkout's bench (`--baseline-tree`): that tree's engine process, which knows
   * this engine as `engine` and runs that tree's smelt. `create` is then never called here.
   */
  readonly baseline?: { readonly tree: string; readonly engine: string };
  readonly create: () => Promise<Engine>;
}
