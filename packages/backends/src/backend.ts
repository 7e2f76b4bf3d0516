// The backend interface and registry. A backend says what it can do, compiles a graph with its
// weights into an executable, and is registered by name; the CLI and tests only use this surface,
// so a third party can add a backend without touching the compiler. Backends that generate code
// also split compiling in two: emit (kernel plan → a printable artifact) and load (artifact +
// weights → executable), so an artifact can be inspected, written to disk and loaded elsewhere.

import type { KernelKind, KernelPlan, WeightsDType } from '@smelt/compiler';
import type { DType, Graph, Tensor } from '@smelt/ir';

export type TensorInputs = ReadonlyMap<string, Tensor>;

/** Inputs of a run: a Map, or a plain object whose own properties are the inputs. */
export type RunInputs = TensorInputs | Readonly<Record<string, Tensor>>;

export interface Executable {
  /**
   * Run once: named inputs in, named outputs out. Symbolic dims bind from the input shapes. Inputs
   * are checked first, the same way on every backend (input-check.ts).
   */
  run(inputs: RunInputs): Promise<Map<string, Tensor>>;
  /**
   * Run once timing each kernel of the plan on its own (the playground's timeline), where the
   * backend can: slower than `run` (one thread, a wait after every kernel), the same outputs.
   */
  profile?(inputs: RunInputs): Promise<RunProfile>;
  dispose(): void;
}

/** One profiled run: the outputs, and the time of each kernel of the forward pass in plan order. */
export interface RunProfile {
  readonly outputs: Map<string, Tensor>;
  readonly kernels: readonly { readonly index: number; readonly label: string; readonly ms: number }[];
  /** Wall time of the whole profiled run, inputs in to outputs out. */
  readonly ms: number;
}

export interface CompileOptions {
  /** Run the compiler's optimization pipeline first (the reference backend runs the raw graph otherwise). */
  readonly optimize?: boolean;
  /** Weights the graph never reads are an error instead of a warning. */
  readonly strict?: boolean;
  /** Where warnings go (default console.warn): weights the graph never reads. */
  readonly warn?: (message: string) => void;
  /**
   * How the matmul weight matrices are stored (quantize.ts, docs/FORMATS.md "Quantized weights"):
   * f32 (the default), int8 (symmetric, a scale per output channel) or f16. wasm and webgpu keep
   * only the quantized form and dequantize in their GEMM kernels; js and the interpreter
   * dequantize on load.
   */
  readonly weightsDtype?: WeightsDType;
}

/**
 * What a backend can do, for tools that pick one and for tests that skip what it cannot. Code
 * generators derive `kernels` from their kernel table (capabilitiesOf) and refuse a plan that
 * needs anything else before generating code (requireCapabilities).
 */
export interface BackendCapabilities {
  /** Dtypes its kernels read and write. */
  readonly dtypes: readonly DType[];
  /** Kernel kinds of the plan it runs: the keys of its kernel table. */
  readonly kernels: readonly KernelKind[];
  /** One artifact serves every value of the symbolic dims (no recompiling per shape). */
  readonly symbolicDims: boolean;
  /** It can write an artifact that loads without smelt installed. */
  readonly standalone: boolean;
}

/** Capabilities whose kernel kinds are the entries of the backend's kernel table: what it actually renders. */
export function capabilitiesOf(kernels: { readonly [K in KernelKind]?: unknown }, rest: Omit<BackendCapabilities, 'kernels'>): BackendCapabilities {
  return { ...rest, kernels: Object.keys(kernels) as KernelKind[] };
}

/** Refuse a plan that needs a kernel kind or a dtype the backend lacks, naming it. */
export function requireCapabilities(backend: string, caps: BackendCapabilities, plan: KernelPlan): void {
  for (const k of [...plan.prologue, ...plan.kernels]) {
    if (!caps.kernels.includes(k.kind)) throw new BackendError(`backend "${backend}" has no ${k.kind} kernel (needed by ${k.label})`);
  }
  for (const b of plan.buffers) {
    if (!caps.dtypes.includes(b.dtype)) throw new BackendError(`backend "${backend}" cannot hold ${b.dtype} (buffer %${b.id})`);
  }
}

export interface Backend {
  readonly name: string;
  readonly description: string;
  readonly capabilities?: BackendCapabilities;
  /** Why this backend cannot run here, or undefined when it can. */
  unavailableReason(): Promise<string | undefined>;
  /** Graph + weights → executable in one step (plans, emits and loads when the backend generates code). */
  compile(graph: Graph, weights: TensorInputs, options?: CompileOptions): Promise<Executable>;
  /**
   * Ahead-of-time export (`smelt compile`): the files of a folder that runs with nothing of smelt
   * installed. In memory, so it works in a browser; exportModule of @smelt/backends/node writes them.
   */
  exportFiles?(graph: Graph, weights: TensorInputs, options?: CompileOptions): Promise<ModuleFiles>;
}

/** The files of an ahead-of-time export by name, in the order they are written: text or bytes. */
export type ModuleFiles = ReadonlyMap<string, string | Uint8Array>;

/** What an ahead-of-time export wrote. */
export interface ExportedModule {
  readonly dir: string;
  /** Absolute paths of the files written. */
  readonly files: readonly string[];
}

/** What a code-generating backend makes of a kernel plan: printable, and loadable with weights. */
export interface Artifact {
  readonly backend: string;
  readonly plan: KernelPlan;
  /** The generated source, as a person would read it. */
  text(): string;
}

export interface EmittingBackend<A extends Artifact = Artifact> extends Backend {
  readonly capabilities: BackendCapabilities;
  emit(plan: KernelPlan): A;
  load(artifact: A, weights: TensorInputs): Promise<Executable>;
}

export function isEmitting(b: Backend): b is EmittingBackend {
  return 'emit' in b && 'load' in b;
}

const registry = new Map<string, Backend>();

export function registerBackend(backend: Backend): void {
  if (registry.has(backend.name)) throw new Error(`backend "${backend.name}" is registered twice`);
  registry.set(backend.name, backend);
}

export function backendNames(): string[] {
  return [...registry.keys()];
}

export class BackendError extends Error {
  override name = 'BackendError';
}

/** The backend of that name, or an error listing the known ones. Never falls back to another. */
export function getBackend(name: string): Backend {
  const b = registry.get(name);
  if (!b) throw new BackendError(`unknown backend "${name}" (known: ${backendNames().join(', ')})`);
  return b;
}

/** The backend of that name if it can run here; otherwise an error saying why. */
export async function requireBackend(name: string): Promise<Backend> {
  const b = getBackend(name);
  const why = await b.unavailableReason();
  if (why) throw new BackendError(`backend "${name}" is not available: ${why}`);
  return b;
}
