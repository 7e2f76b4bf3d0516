// The backend interface and registry. A backend says what it can do, compiles a graph with its
// weights into an executable, and is registered by name; the CLI and tests only use this surface,
// so a third party can add a backend without touching the compiler.

import type { Graph, Tensor } from '@smelt/ir';

export type TensorInputs = ReadonlyMap<string, Tensor>;

export interface Executable {
  /** Run once: named inputs in, named outputs out. Symbolic dims bind from the input shapes. */
  run(inputs: TensorInputs): Promise<Map<string, Tensor>>;
  dispose(): void;
}

export interface CompileOptions {
  /** Run the compiler's optimization pipeline first (the reference backend runs the raw graph otherwise). */
  readonly optimize?: boolean;
}

export interface Backend {
  readonly name: string;
  readonly description: string;
  /** Why this backend cannot run here, or undefined when it can. */
  unavailableReason(): Promise<string | undefined>;
  compile(graph: Graph, weights: TensorInputs, options?: CompileOptions): Promise<Executable>;
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
