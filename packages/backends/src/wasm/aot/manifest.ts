// What an exported model's loader needs to know, as plain JSON: symbols, where the load-time
// image goes, and for each input and output its dtype, declared shape and where it lives (a
// fixed address, or a pointer-table slot filled by the module's `layout`; for an output also the
// buffer holding it, which a kept output takes the place of), and the input contract. The
// in-process executable binds its inputs and outputs from the same specs (ioSpecs).

import type { ComputedDimData } from '../../render/computed-dims.ts';
import { type InputContract, type KernelPlan, baseBuffer } from '@smelt/compiler';
import type { DType, Dim } from '@smelt/ir';
import type { MemoryMap } from '../codegen/memory-map.ts';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  /** Fixed byte address (load-time data), or… */
  readonly address?: number;
  /** …the byte address of its pointer-table slot. */
  readonly slot?: number;
}

/** An output, with what keeping it in memory (wasm-resident.ts) needs of the buffer that holds it. */
export interface OutputSpec extends TensorSpec {
  /** The base buffer: its dtype and shape size a kept copy; an arena buffer's kernels may write the copy directly. */
  readonly base: { readonly dtype: DType; readonly shape: readonly Dim[]; readonly arena: boolean };
}

export interface Manifest {
  readonly name: string;
  readonly symbols: readonly string[];
  /** How each computed dim among `symbols` follows from the bound ones (render/computed-dims.ts). */
  readonly computed: readonly ComputedDimData[];
  readonly imageBase: number;
  readonly staticEnd: number;
  readonly maximumPages: number;
  /** Work counters of the threaded builds' loops (zeroed before every threaded run). */
  readonly counters: number;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly OutputSpec[];
  /** What the inputs must satisfy (input-check.ts checks it before each run). */
  readonly contract: InputContract;
  /** Each run kernel's kind and label, for the message of a trap (trap.ts). */
  readonly kernels: readonly { readonly kind: string; readonly label: string }[];
}

/** Where each input and output lives: what the in-process executable and an exported loader bind. */
export function ioSpecs(plan: KernelPlan, memory: MemoryMap): { inputs: TensorSpec[]; outputs: OutputSpec[] } {
  const spec = (name: string, id: number): TensorSpec => {
    const b = plan.buffers[id];
    const base = baseBuffer(plan.buffers, id);
    const address = memory.staticAddress(base);
    return { name, dtype: b.dtype, shape: b.shape, ...(address === undefined ? { slot: memory.pointerSlot(base) } : { address }) };
  };
  const output = (name: string, id: number): OutputSpec => {
    const base = plan.buffers[baseBuffer(plan.buffers, id)];
    return { ...spec(name, id), base: { dtype: base.dtype, shape: base.shape, arena: base.storage.kind === 'arena' } };
  };
  return { inputs: plan.inputs.map((i) => spec(i.name, i.buffer)), outputs: plan.outputs.map((o) => output(o.name, o.buffer)) };
}

export function manifestOf(plan: KernelPlan, memory: MemoryMap, maximumPages: number, counters: number): Manifest {
  return {
    name: plan.name,
    symbols: plan.symbols,
    computed: plan.computed,
    imageBase: memory.staticBase,
    staticEnd: memory.staticEnd,
    maximumPages,
    counters,
    ...ioSpecs(plan, memory),
    contract: plan.contract,
    kernels: plan.kernels.map((k) => ({ kind: k.kind, label: k.label })),
  };
}
