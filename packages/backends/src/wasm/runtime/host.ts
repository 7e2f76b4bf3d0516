// Tensors in and out of the linear memory, and the check of weights against the buffers that hold
// them (run inputs are checked by input-check.ts, as on every backend).

import { baseBuffer } from '@smelt/compiler';
import { type DType, type Tensor, allocArray, formatType, numel, resolveShape } from '@smelt/ir';
import type { MemoryMap } from '../codegen/memory-map.ts';
import type { WasmMemory } from './engine.ts';

/** Copy a tensor's bytes to `address`. */
export function writeTensor(memory: WasmMemory, address: number, t: Tensor): void {
  const d = t.data;
  new Uint8Array(memory.buffer, address, d.byteLength).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
}

export function readTensor(memory: WasmMemory, address: number, dtype: DType, shape: readonly number[]): Tensor {
  const data = allocArray(dtype, numel(shape));
  new Uint8Array(data.buffer).set(new Uint8Array(memory.buffer, address, data.byteLength));
  return { dtype, shape: [...shape], data };
}

/** The address of a buffer (its base, for views): fixed at load, or from the pointer table. */
export function bufferAddress(map: MemoryMap, memory: WasmMemory, id: number): number {
  const base = baseBuffer(map.plan.buffers, id);
  return map.staticAddress(base) ?? new Int32Array(memory.buffer, map.pointerSlot(base), 1)[0];
}

/** Check a weight against the buffer that holds it. */
export function checkWeight(name: string, t: Tensor | undefined, want: { dtype: DType; shape: readonly (number | string)[] }): Tensor {
  if (!t) throw new Error(`missing weight "${name}": expected ${formatType(want)}`);
  const shape = resolveShape(want.shape, new Map());
  if (t.dtype !== want.dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`weight "${name}": expected ${formatType(want)}, got ${t.dtype}[${t.shape.join(', ')}]`);
  }
  return t;
}
