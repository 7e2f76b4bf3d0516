// The slice of the WebAssembly JS API this backend uses, typed locally: the workspace compiles
// without the DOM lib (which declares the real one), and a global declaration here could clash
// with a package that adds it.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** An opaque compiled module (structured-cloneable to workers). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  readonly Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  readonly RuntimeError: new (message?: string) => Error;
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, Record<string, unknown>>): Promise<WasmInstance>;
}

export const wasmApi = (): WasmApi | undefined => (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export function requireWasm(): WasmApi {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  return api;
}
