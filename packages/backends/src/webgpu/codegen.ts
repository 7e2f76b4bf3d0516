// Code generation for a whole kernel plan: each plan kernel becomes a KernelProgram through its
// kind's template. The template table is a mapped type over kernel kinds, so a new kind in the plan
// is a compile error here until it has a WGSL template; its keys are what the backend declares it
// can run, and a plan needing anything else is refused before any WGSL is written. Under precision 'f16' the plan's matmul-only
// weights are stored as f16 and matmuls compute in f16 (precision.ts). Under weightsDtype int8 or
// f16 the quantized matrices are u32 words the matmuls dequantize as they load (quantized.ts).

import { type Kernel, type KernelKind, type KernelPlan, type WeightsDType, kernelWrites } from '@smelt/compiler';
import { DTYPES } from '@smelt/ir';
import { type BackendCapabilities, capabilitiesOf, requireCapabilities } from '../backend.ts';
import { attentionKernel } from './kernels/attention.ts';
import { elementwiseKernel } from './kernels/elementwise.ts';
import { type MatmulVariant, chooseMatmulVariant, matmulKernel } from './kernels/matmul.ts';
import { concatKernel, dynamicSliceKernel, gatherKernel, iotaKernel, sliceKernel, transposeKernel } from './kernels/movement.ts';
import { conv1dKernel, cumsumKernel, padKernel, ropeKernel, topkKernel } from './kernels/ops.ts';
import { reduceKernel } from './kernels/reduce.ts';
import { rowKernel } from './kernels/rows.ts';
import { type CodegenTarget, KernelWriter } from './kernel-writer.ts';
import { type Precision, halfStorage } from './precision.ts';
import { type QuantizedStorage, quantizedStorage } from './quantized.ts';
import { weightsDtypeOf } from '../quantize.ts';
import type { KernelProgram } from './program.ts';

export interface CodegenOptions {
  /** Force one matmul template (tests and benchmarks); 'auto' picks by shape. */
  readonly matmul?: 'auto' | MatmulVariant;
  /** 'f16': matmuls multiply in f16 with f32 accumulation, their weights stored as f16 (needs shader-f16). Default 'f32'. */
  readonly precision?: Precision;
  /** How matmul weight matrices are stored (quantized.ts); default f32. */
  readonly weightsDtype?: WeightsDType;
}

type Template<K extends KernelKind> = (w: KernelWriter, k: Extract<Kernel, { kind: K }>, options: CodegenOptions) => KernelProgram;

/** The WGSL template of every kernel kind; the mapped type makes a new kind without one a compile error. */
const TEMPLATES: { readonly [K in KernelKind]: Template<K> } = {
  elementwise: (w, k) => elementwiseKernel(w, k),
  matmul: (w, k, options) => matmulKernel(w, k, !options.matmul || options.matmul === 'auto' ? chooseMatmulVariant(w, k) : options.matmul),
  attention: attentionKernel,
  row: rowKernel,
  reduce: reduceKernel,
  rope: ropeKernel,
  pad: padKernel,
  cumsum: cumsumKernel,
  topk: topkKernel,
  conv1d: conv1dKernel,
  transpose: transposeKernel,
  slice: sliceKernel,
  dynamic_slice: dynamicSliceKernel,
  concat: concatKernel,
  gather: gatherKernel,
  iota: iotaKernel,
};

/** The kinds of TEMPLATES; every dtype (each is held in a 32-bit element, wgsl-types.ts). */
export const WEBGPU_CAPABILITIES: BackendCapabilities = capabilitiesOf(TEMPLATES, { dtypes: DTYPES, symbolicDims: true, standalone: true });

/** The WGSL of one plan kernel; `half` (precision f16 only): the base buffers stored as f16. */
export function kernelProgram(plan: KernelPlan, k: Kernel, target: CodegenTarget, options: CodegenOptions = {}, half?: ReadonlySet<number>, quantized?: QuantizedStorage): KernelProgram {
  const w = new KernelWriter(plan, target, kernelWrites(k), half, quantized?.matrices);
  // The cast pairs a kernel with its own kind's template.
  return (TEMPLATES[k.kind] as Template<KernelKind>)(w, k, options);
}

export interface PlanPrograms {
  readonly precision: Precision;
  /** Base buffers stored as f16 (empty under precision f32). */
  readonly half: ReadonlySet<number>;
  /** Quantized weight matrices, and the prologue kernels the host runs for them (quantized.ts). */
  readonly quantized: QuantizedStorage;
  readonly prologue: readonly KernelProgram[];
  readonly kernels: readonly KernelProgram[];
}

export function generatePrograms(plan: KernelPlan, target: CodegenTarget, options: CodegenOptions = {}): PlanPrograms {
  requireCapabilities('webgpu', WEBGPU_CAPABILITIES, plan);
  const precision = options.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'f16') throw new Error(`webgpu: precision must be 'f32' or 'f16', got ${JSON.stringify(precision)}`);
  const quantized = quantizedStorage(plan, weightsDtypeOf(options.weightsDtype));
  const half = precision === 'f16' ? new Set([...halfStorage(plan)].filter((id) => !quantized.matrices.has(id) && !quantized.unread.has(id))) : undefined;
  const gen = (k: Kernel, i: number, where: string) => {
    try {
      return kernelProgram(plan, k, target, options, half, quantized);
    } catch (e) {
      throw new Error(`webgpu: ${where} kernel ${i} (${k.label}): ${(e as Error).message}`);
    }
  };
  return {
    precision,
    half: half ?? new Set(),
    quantized,
    prologue: plan.prologue.flatMap((k, i) => (quantized.hostKernels.has(k) ? [] : [gen(k, i, 'prologue')])),
    kernels: plan.kernels.map((k, i) => gen(k, i, 'forward')),
  };
}

/** The target of an AOT export, which may load on any adapter: WebGPU's guaranteed limits, a GPU assumed (workgroup tiles). */
export const PORTABLE_TARGET: CodegenTarget = { maxComputeWorkgroupStorageSize: 16384, workgroupTiles: true };
