// Shared by the WebGPU test files: the gate (no adapter → a loud failure under CI=true, a skip
// with the reason printed elsewhere), whether the adapter has shader-f16 (precision f16), and the
// comparison against the interpreter (1e-4 for floats, NaN and ±inf in the same places, exact for
// integers and bools).

import type { Tensor } from '@smelt/ir';
import { requestAdapter } from '../packages/backends/src/webgpu/device.ts';
import { webgpuBackend } from '../packages/backends/src/webgpu/index.ts';
import { adapterName } from '../packages/backends/src/webgpu/portable-host.ts';
import { F16_FEATURE } from '../packages/backends/src/webgpu/precision.ts';
import { describeIfAvailable } from './gate.ts';
import { expectClose as expectWithin } from './wasm-suite.ts';

export const WEBGPU_UNAVAILABLE = await webgpuBackend.unavailableReason();

async function f16Unavailable(): Promise<string | undefined> {
  if (WEBGPU_UNAVAILABLE) return WEBGPU_UNAVAILABLE;
  const adapter = await requestAdapter();
  if (typeof adapter === 'string') return adapter;
  return adapter.features.has(F16_FEATURE) ? undefined : `the adapter ${adapterName(adapter)} has no ${F16_FEATURE}`;
}

/** Why precision f16 cannot run here (no adapter, or an adapter without shader-f16), or undefined. */
export const WEBGPU_F16_UNAVAILABLE = await f16Unavailable();

/** A describe that runs only with a WebGPU adapter; without one it fails in CI and skips (saying why) elsewhere. */
export function describeWebGpu(name: string, body: () => void): void {
  describeIfAvailable('webgpu', 'a WebGPU adapter', WEBGPU_UNAVAILABLE, name, body);
}

/** Expect `got` to equal `want` as wasm-suite's expectClose does; f16 results to at least 1e-3 (half precision's step). */
export function expectClose(got: Tensor | undefined, want: Tensor, what: string, tol = 1e-4): void {
  expectWithin(got, want, what, want.dtype === 'f16' ? Math.max(tol, 1e-3) : tol);
}
