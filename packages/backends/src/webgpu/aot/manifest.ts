// What an exported model.js needs to know about its plan, as plain JSON (inlined into model.js):
// symbols, the buffers it allocates (fixed ones with their place in weights.bin, inputs, arena
// buffers with symbolic shapes) and the arena slots, the inputs and outputs, and per kernel the
// .wgsl file, its bindings and its grid as data. Names from the user's graph appear only as JSON
// strings.

import type { ComputedDimData } from '../../render/computed-dims.ts';
import { type InputContract, type KernelPlan, baseBuffer } from '@smelt/compiler';
import type { PlanPrograms } from '../codegen.ts';
import type { Precision } from '../precision.ts';
import type { KernelProgram } from '../program.ts';
import type { Dim, GridSpec, TensorSpec } from '../portable-host.ts';
import { GPU_BYTES_PER_ELEMENT } from '../wgsl-types.ts';

export interface ProgramSpec {
  readonly label: string;
  /** Index into `shaders`. */
  readonly shader: number;
  /** Storage bindings 1..n: the base buffer bound and how. */
  readonly bindings: readonly { readonly buffer: number; readonly access: 'read' | 'read_write' }[];
  readonly grid: GridSpec;
}

export interface BufferSpec {
  readonly id: number;
  /** fixed: made at load (weights, constants, derived); input: one per graph input; arena: a slot's share. */
  readonly place: 'fixed' | 'input' | 'arena';
  readonly shape: readonly Dim[];
  readonly elementBytes: number;
  /** The whole buffer's bytes where they are not shape × elementBytes: a quantized weight matrix (quantized.ts). */
  readonly bytes?: number;
  /** Fixed buffers with contents: their bytes in the weights file. */
  readonly image?: { readonly offset: number; readonly bytes: number };
}

export interface IoSpec extends TensorSpec {
  /** The base buffer holding it. */
  readonly buffer: number;
}

export interface WebGpuManifest {
  readonly name: string;
  readonly precision: Precision;
  /** Symbols bound from the input shapes, in the uniform's order. */
  readonly symbols: readonly string[];
  /** How each computed dim among `symbols` follows from the bound ones (render/computed-dims.ts). */
  readonly computed: readonly ComputedDimData[];
  /** Adapter features to require, and limits to ask for at the adapter's maximum. */
  readonly features: readonly string[];
  readonly limits: readonly string[];
  /** Byte alignment of arena slots (raised to the device's minStorageBufferOffsetAlignment). */
  readonly alignment: number;
  readonly weightsFile: string;
  /** .wgsl files, one per distinct kernel text. */
  readonly shaders: readonly string[];
  readonly buffers: readonly BufferSpec[];
  /** Arena slots: buffers sharing a slot never live at the same time. */
  readonly slots: readonly (readonly number[])[];
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  /** What the inputs must satisfy (input-check.ts checks it before each run). */
  readonly contract: InputContract;
  /** Run once at load. */
  readonly prologue: readonly ProgramSpec[];
  /** Run per forward pass. */
  readonly kernels: readonly ProgramSpec[];
}

export interface ManifestParts {
  readonly programs: PlanPrograms;
  readonly features: readonly string[];
  readonly limits: readonly string[];
  readonly alignment: number;
  readonly weightsFile: string;
  readonly shaders: readonly string[];
  /** The .wgsl file index of each distinct kernel text. */
  readonly shaderOf: ReadonlyMap<string, number>;
  /** Where each fixed buffer with contents lies in the weights file. */
  readonly image: ReadonlyMap<number, { readonly offset: number; readonly bytes: number }>;
}

export function manifestOf(plan: KernelPlan, parts: ManifestParts): WebGpuManifest {
  const { programs } = parts;
  const placeOf = (kind: string): BufferSpec['place'] | undefined =>
    kind === 'input' ? 'input' : kind === 'arena' ? 'arena' : kind === 'alias' ? undefined : 'fixed';
  const buffers: BufferSpec[] = [];
  for (const b of plan.buffers) {
    const place = placeOf(b.storage.kind);
    if (!place || programs.quantized.unread.has(b.id)) continue;
    const image = parts.image.get(b.id);
    const q = programs.quantized.matrices.get(b.id);
    buffers.push({ id: b.id, place, shape: b.shape, elementBytes: programs.half.has(b.id) ? 2 : GPU_BYTES_PER_ELEMENT, ...(q ? { bytes: q.bytes } : {}), ...(image ? { image } : {}) });
  }
  const io = (name: string, id: number): IoSpec => ({ name, dtype: plan.buffers[id].dtype, shape: plan.buffers[id].shape, buffer: baseBuffer(plan.buffers, id) });
  const program = (p: KernelProgram): ProgramSpec => ({
    label: p.label, shader: parts.shaderOf.get(p.wgsl)!, bindings: p.bindings.map((b) => ({ buffer: b.buffer, access: b.access })), grid: p.grid,
  });
  return {
    name: plan.name, precision: programs.precision, symbols: plan.symbols, computed: plan.computed,
    features: parts.features, limits: parts.limits, alignment: parts.alignment,
    weightsFile: parts.weightsFile, shaders: parts.shaders, buffers,
    slots: plan.arena.slots.map((s) => s.buffers),
    inputs: plan.inputs.map((i) => io(i.name, i.buffer)),
    outputs: plan.outputs.map((o) => io(o.name, o.buffer)),
    contract: plan.contract,
    prologue: programs.prologue.map(program),
    kernels: programs.kernels.map(program),
  };
}
