// Tensors in and out of the linear memory, and the check of run inputs against the plan (the
// interpreter's messages: a missing input, a wrong dtype, a shape that does not bind).

import { type KernelPlan, baseBuffer } from '@smelt/compiler';
import { type DType, type Tensor, allocArray, bindShape, formatType, numel, resolveShape } from '@smelt/ir';
import type { TensorInputs } from '../../backend.ts';
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

/** Symbol values bound from the inputs; throws like the interpreter on a missing or mismatched input. */
export function bindInputs(plan: KernelPlan, inputs: TensorInputs): Map<string, number> {
  const env = new Map<string, number>();
  for (const { name, buffer } of plan.inputs) {
    const b = plan.buffers[buffer];
    const t = inputs.get(name);
    if (!t) throw new Error(`missing input "${name}": expected ${formatType(b)}`);
    if (t.dtype !== b.dtype) throw new Error(`input "${name}": expected dtype ${b.dtype}, got ${t.dtype} [${t.shape.join(', ')}]`);
    bindShape(name, b.shape, t.shape, env);
  }
  return env;
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
