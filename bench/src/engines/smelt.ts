// smelt's backends as bench engines, found by name in @smelt/backends' registry at run time: a
// backend that is not registered gives a row that says so. Each variant is a backend plus compile
// options (wasm: SIMD level and threads); any registered backend this list does not name still
// gets a row with default options, so a new backend shows up without editing the bench.
// Each part's backend.compile is timed (the compile time per backend the bench reports), and an
// executable that keeps per-run counters (smelt-webgpu's lastRun: RunStats) has them summed over
// every run of the part, so a workload run that calls a part many times (greedy decoding) counts them all.
// A part whose executable keeps tensors in the backend (resident.ts) passes that on, so cached
// decoding in the bench keeps its caches there as `smelt generate` does.

import {
  type Backend, type CompileOptions, type RunStats, type WasmCompileOptions, type WebGpuCompileOptions,
  type ResidentExecutable, type SubmittingExecutable, type TokenChoosingExecutable, backendNames, choosesTokens, getBackend, isResident, submitsAhead,
} from '@smelt/backends';
import { type KernelPlan, compileGraph } from '@smelt/compiler';
import type { Tensor } from '@smelt/ir';
import { weightsFor } from '@smelt/models';
import type { ModelPart } from '../workloads/defs.ts';
import { buildPartGraph } from '../workloads/graphs.ts';
import type { Engine, EngineExecutable, EngineLimit, EngineSpec, LoadContext } from './engine.ts';
import { QUANTIZED_WORKLOADS } from '../workloads/defs.ts';
import type { KernelSample } from '../report/kernel-profile.ts';
import { profileRun } from './smelt-profile.ts';
import { installWebGpu } from './web-globals.ts';

export interface SmeltVariant {
  readonly name: string;
  readonly backend: string;
  /** Passed to backend.compile (wasm: `simd` and `threads`, the builds issue 5 asks for). */
  readonly options: WasmCompileOptions | WebGpuCompileOptions | CompileOptions;
  readonly only?: EngineLimit;
  /** int8 weights (weightsDtype): the looser output check (run/check.ts). */
  readonly quantized?: boolean;
}

/** int8 weights (issue 17): W-small, W-base and the decoding workloads. */
const Q8_SMELT: EngineLimit = { workloads: QUANTIZED_WORKLOADS, why: 'int8 weights: W-small, W-base and decoding (issue 17)' };

const KNOWN: readonly SmeltVariant[] = [
  { name: 'smelt-reference', backend: 'reference', options: {}, only: { workloads: ['w-small'], why: 'the interpreter is the oracle, too slow to time on the big workloads' } },
  { name: 'smelt-js', backend: 'js', options: {} },
  { name: 'smelt-wasm', backend: 'wasm', options: { simd: 'plain', threads: 1 } satisfies WasmCompileOptions },
  { name: 'smelt-wasm-relaxed', backend: 'wasm', options: { simd: 'relaxed', threads: 1 } satisfies WasmCompileOptions },
  { name: 'smelt-wasm-2t', backend: 'wasm', options: { simd: 'plain', threads: 2 } satisfies WasmCompileOptions },
  { name: 'smelt-wasm-relaxed-2t', backend: 'wasm', options: { simd: 'relaxed', threads: 2 } satisfies WasmCompileOptions },
  { name: 'smelt-webgpu', backend: 'webgpu', options: {} satisfies WebGpuCompileOptions },
  { name: 'smelt-wasm-relaxed-q8', backend: 'wasm', options: { simd: 'relaxed', threads: 1, weightsDtype: 'int8' } satisfies WasmCompileOptions, only: Q8_SMELT, quantized: true },
  { name: 'smelt-wasm-relaxed-2t-q8', backend: 'wasm', options: { simd: 'relaxed', threads: 2, weightsDtype: 'int8' } satisfies WasmCompileOptions, only: Q8_SMELT, quantized: true },
];

/** The known variants plus one row per other registered backend. */
export function smeltVariants(registered: readonly string[] = backendNames()): SmeltVariant[] {
  const extra = registered.filter((b) => !KNOWN.some((v) => v.backend === b)).map((b) => ({ name: `smelt-${b}`, backend: b, options: {} }));
  return [...KNOWN, ...extra];
}

function partWeights(part: ModelPart, weights: ReadonlyMap<string, Tensor>): { graph: ReturnType<typeof buildPartGraph>; weights: Map<string, Tensor> } {
  const graph = buildPartGraph(part);
  return { graph, weights: weightsFor(graph, weights) };
}

/** What smelt-webgpu's executable shows beyond the Executable interface. */
interface GpuCounters { readonly lastRun?: RunStats; readonly pipelineCount?: number }

/** Sums an executable's per-run counters (RunStats) over the runs since the last take(). */
class RunCounters {
  private sum: Record<string, number> | undefined;

  add(last: RunStats | undefined): void {
    if (!last) return;
    this.sum ??= {};
    for (const [k, v] of Object.entries(last)) if (typeof v === 'number') this.sum[k] = (this.sum[k] ?? 0) + v;
  }

  take(): Record<string, number> | undefined {
    const s = this.sum;
    this.sum = undefined;
    return s;
  }
}

export function smeltEngine(v: SmeltVariant): Engine {
  let backend: Backend | undefined;
  let adapter: string | undefined;
  let pipelines: number | undefined;
  return {
    name: v.name,
    async available() {
      if (!backendNames().includes(v.backend)) return `backend "${v.backend}" is not registered in @smelt/backends (registered: ${backendNames().join(', ')})`;
      if (v.backend === 'webgpu') {
        // The same navigator.gpu (Dawn, from the webgpu package) as the WebGPU peers: the same adapter.
        const gpu = await installWebGpu();
        if ('reason' in gpu) return gpu.reason;
        adapter = gpu.adapter;
      }
      backend = getBackend(v.backend);
      return backend.unavailableReason();
    },
    async describe() {
      const about: Record<string, string> = { backend: v.backend };
      for (const [k, x] of Object.entries(v.options)) about[k] = String(x);
      if (adapter) about.adapter = adapter;
      if (pipelines !== undefined) about.pipelines = String(pipelines);
      return about;
    },
    async load(part: ModelPart, ctx: LoadContext): Promise<EngineExecutable> {
      const b = backend ?? getBackend(v.backend);
      const { graph, weights } = partWeights(part, ctx.weights);
      const t0 = performance.now();
      const exe = await b.compile(graph, weights, v.options);
      const compileMs = performance.now() - t0;
      const gpu = exe as GpuCounters;
      if (typeof gpu.pipelineCount === 'number') pipelines = (pipelines ?? 0) + gpu.pipelineCount;
      const counters = new RunCounters();
      // Profiling: the plan is compiled again here, only once a profiled run asks for it.
      let plan: KernelPlan | undefined;
      let profiling = false;
      let samples: KernelSample[] = [];
      const loaded: EngineExecutable = {
        compileMs,
        async run(inputs) {
          if (profiling && exe.profile) {
            plan ??= compileGraph(graph).plan;
            const p = await profileRun(`${v.name} ${part.kind}`, plan, exe, inputs);
            samples.push(...p.samples);
            return p.outputs;
          }
          const out = await exe.run(inputs);
          counters.add(gpu.lastRun);
          return out;
        },
        dispose: () => exe.dispose(),
        takeStats: () => counters.take(),
        ...(exe.profile && {
          setProfiling: (on: boolean) => { profiling = on; },
          takeProfile: () => { const s = samples; samples = []; return s; },
        }),
      };
      return isResident(exe) ? residentPart(loaded, exe, () => counters.add(gpu.lastRun)) : loaded;
    },
  };
}

/** A loaded part that keeps tensors in the backend between runs, as its executable does (cached decoding's caches), picks tokens there when it can, and takes the next step before this one is read back when it can. */
function residentPart(loaded: EngineExecutable, exe: ResidentExecutable, counted: () => void): EngineExecutable & ResidentExecutable {
  const part: EngineExecutable & ResidentExecutable = {
    ...loaded,
    upload: (t) => exe.upload(t),
    download: (t) => exe.download(t),
    selectRows: (t, rows) => exe.selectRows(t, rows),
    async runResident(inputs, keep) {
      const out = await exe.runResident(inputs, keep);
      counted();
      return out;
    },
    get transfers() {
      return exe.transfers;
    },
  };
  if (!choosesTokens(exe)) return part;
  const choosing: EngineExecutable & TokenChoosingExecutable = {
    ...part,
    get transfers() {
      return exe.transfers;
    },
    async runChoosing(inputs, keep, choice) {
      const out = await exe.runChoosing(inputs, keep, choice);
      counted();
      return out;
    },
  };
  if (!submitsAhead(exe)) return choosing;
  const submitting: EngineExecutable & SubmittingExecutable = {
    ...choosing,
    get transfers() {
      return exe.transfers;
    },
    async submitChoosing(inputs, keep, choice, fromLastChoice, readAfter) {
      const { kept, done } = await exe.submitChoosing(inputs, keep, choice, fromLastChoice, readAfter);
      return { kept, done: done.then((d) => (counted(), d)) };
    },
  };
  return submitting;
}

export function smeltSpecs(registered?: readonly string[]): EngineSpec[] {
  return smeltVariants(registered).map((v) => ({ name: v.name, group: 'smelt', only: v.only, ...(v.quantized ? { quantized: true } : {}), create: async () => smeltEngine(v) }));
}
