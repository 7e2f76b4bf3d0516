// What the engine accepts: relaxed SIMD is validated on a probe module after asking V8 to enable
// it (Node 20 ships it behind --experimental-wasm-relaxed-simd; the flag must be set before any
// relaxed module compiles, and setting it later is harmless). Shared memory needs
// SharedArrayBuffer (cross-origin isolation in browsers).

import { platform } from '#platform';
import { ModuleBuilder } from '../encoder/module.ts';
import { wasmApi } from './engine.ts';

/** A module using relaxed SIMD or plain SIMD; with `shared`, over a shared memory with an atomic, as threaded builds are. */
function probe(relaxed: boolean, shared = false): Uint8Array {
  const m = new ModuleBuilder({ module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared });
  m.export('f', m.func('f', [], ['f32'], (c) => {
    if (shared) c.i32(0).i32(1).mem('i32.atomic.rmw.add').op('drop');
    c.f32x4(1).f32x4(2).f32x4(3);
    if (relaxed) c.op('f32x4.relaxed_madd');
    else c.op('f32x4.mul', 'f32x4.add');
    c.lane('f32x4.extract_lane', 0);
  }));
  return m.encode();
}

let relaxed: Promise<boolean> | undefined;
let relaxedResult: boolean | undefined;
let relaxedSharedResult: boolean | undefined;

/**
 * Whether relaxed SIMD (f32x4.relaxed_madd) compiles here; enables it in Node first. It also finds
 * whether relaxed SIMD compiles together with a shared memory and atomics (the threaded build),
 * which relaxedThreadsKnown() gives.
 */
export function relaxedSimdAvailable(): Promise<boolean> {
  relaxed ??= platform.enableRelaxedSimd().then(() => {
    const api = wasmApi();
    relaxedResult = api?.validate(probe(true)) ?? false;
    relaxedSharedResult = relaxedResult && typeof SharedArrayBuffer !== 'undefined' && (api?.validate(probe(true, true)) ?? false);
    return relaxedResult;
  });
  return relaxed;
}

/** Whether the relaxed threaded build (relaxed SIMD over a shared memory) compiles here, once relaxedSimdAvailable() has resolved; undefined before. */
export function relaxedThreadsKnown(): boolean | undefined {
  return relaxedSharedResult;
}

/** The answer of relaxedSimdAvailable() once it has resolved; undefined before. */
export function relaxedSimdKnown(): boolean | undefined {
  return relaxedResult;
}

/** Why plain SIMD128 cannot run here, or undefined. */
export function simdUnavailable(): string | undefined {
  const api = wasmApi();
  if (!api) return 'WebAssembly is not available';
  return api.validate(probe(false)) ? undefined : 'this engine does not accept WebAssembly SIMD128';
}

/** Why threads cannot run here, or undefined. */
export function threadsUnavailable(): string | undefined {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available (browsers need cross-origin isolation)';
  return undefined;
}
