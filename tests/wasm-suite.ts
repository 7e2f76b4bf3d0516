// Shared by the wasm test files: the builds under test (plain and relaxed SIMD, one and two
// threads), the comparison against the interpreter (1e-4 for floats, scaled for large values;
// NaN and ±inf in the same places; exact for integers and bools), and instantiating a bare module.

import { expect } from 'vitest';
import { type Tensor, f16BitsToF32 } from '@smelt/ir';
import type { WasmCompileOptions } from '../packages/backends/src/wasm/index.ts';

/** Every build the backend suite runs. */
export const BUILDS: readonly WasmCompileOptions[] = [
  { simd: 'plain' },
  { simd: 'relaxed' },
  { simd: 'plain', threads: 2 },
  { simd: 'relaxed', threads: 2 },
];

export const describeBuild = (o: WasmCompileOptions) => `${o.simd} SIMD, ${o.threads ?? 1} thread${(o.threads ?? 1) > 1 ? 's' : ''}`;

const isFloat = (t: Tensor) => t.dtype === 'f32' || t.dtype === 'f16';
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, (x) => (t.dtype === 'f16' ? f16BitsToF32(Number(x)) : Number(x)));

/** Expect `got` to equal `want`: dtype and shape exactly, floats to `tol` (absolute, relative above 1). */
export function expectClose(got: Tensor | undefined, want: Tensor, what: string, tol = 1e-4): void {
  expect(got, `${what}: missing`).toBeDefined();
  expect(got!.dtype, `${what}: dtype`).toBe(want.dtype);
  expect(got!.shape, `${what}: shape`).toEqual(want.shape);
  const g = values(got!);
  const w = values(want);
  for (let i = 0; i < w.length; i++) {
    const [a, b] = [g[i], w[i]];
    const ok = isFloat(want)
      ? (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= tol * Math.max(1, Math.abs(b))
      : a === b;
    if (!ok) expect.fail(`${what}: element ${i} is ${a}, the interpreter says ${b} (shape [${want.shape}])`);
  }
}

/** Expect two runs to agree bit for bit (thread counts must not change results). */
export function expectIdentical(got: Tensor, want: Tensor, what: string): void {
  const a = new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength);
  const b = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const i = a.findIndex((x, k) => x !== b[k]);
  if (i >= 0) expect.fail(`${what}: byte ${i} differs between builds`);
}

interface Wasm {
  Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, (...a: number[]) => number> };
  validate(b: Uint8Array): boolean;
}
export const WASM = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/** Instantiate a module importing env.memory (pages of 64 KiB); returns its exports and memory. */
export function instantiate(bytes: Uint8Array, pages: number): { exports: Record<string, (...a: number[]) => number>; memory: { buffer: ArrayBuffer } } {
  const memory = new WASM.Memory({ initial: pages, maximum: pages });
  const instance = new WASM.Instance(new WASM.Module(bytes), { env: { memory } });
  return { exports: instance.exports, memory };
}
