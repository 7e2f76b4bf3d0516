// Shared by the WebGPU test files: the gate (no adapter → a loud failure under CI=true, a skip
// with the reason printed elsewhere), whether the adapter has shader-f16 (precision f16), and the
// comparison against the interpreter (1e-4 for floats, NaN and ±inf in the same places, exact for
// integers and bools).

import { describe, expect, it } from 'vitest';
import { type Tensor, f16BitsToF32 } from '@smelt/ir';
import { requestAdapter } from '../packages/backends/src/webgpu/device.ts';
import { webgpuBackend } from '../packages/backends/src/webgpu/index.ts';
import { adapterName } from '../packages/backends/src/webgpu/portable-host.ts';
import { F16_FEATURE } from '../packages/backends/src/webgpu/precision.ts';

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
  const why = WEBGPU_UNAVAILABLE;
  if (why && process.env.CI === 'true') {
    describe(name, () => {
      it('has a WebGPU adapter (CI=true requires one)', () => {
        throw new Error(`the WebGPU suite cannot run in CI: ${why}`);
      });
    });
    return;
  }
  if (why) console.warn(`[webgpu] skipped "${name}": ${why}`);
  describe.skipIf(why !== undefined)(name, body);
}

const isFloat = (t: Tensor) => t.dtype === 'f32' || t.dtype === 'f16';
/** Elements as numbers; f16 bits decoded. */
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, (x) => (t.dtype === 'f16' ? f16BitsToF32(Number(x)) : Number(x)));

/** Expect `got` to equal `want`: shapes and dtypes exactly, floats to `tol` (absolute, plus relative for large values). */
export function expectClose(got: Tensor | undefined, want: Tensor, what: string, tol = 1e-4): void {
  expect(got, `${what}: missing`).toBeDefined();
  expect(got!.dtype, `${what}: dtype`).toBe(want.dtype);
  expect(got!.shape, `${what}: shape`).toEqual(want.shape);
  const g = values(got!);
  const w = values(want);
  if (want.dtype === 'f16') tol = Math.max(tol, 1e-3);
  for (let i = 0; i < w.length; i++) {
    const [a, b] = [g[i], w[i]];
    const ok = isFloat(want)
      ? (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= tol * Math.max(1, Math.abs(b))
      : a === b;
    if (!ok) expect.fail(`${what}: element ${i} is ${a}, the interpreter says ${b} (shape [${want.shape}])`);
  }
}
