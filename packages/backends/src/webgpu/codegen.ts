// Code generation for a whole kernel plan: each plan kernel becomes a KernelProgram through its
// template. The switch over kernel kinds ends in `satisfies never`, so a new kind in the plan is a
// compile error here until it has a WGSL template. Under precision 'f16' the plan's matmul-only
// weights are stored as f16 and matmuls compute in f16 (precision.ts).

import { type Kernel, type KernelPlan, kernelWrites } from '@smelt/compiler';
import { attentionKernel } from './kernels/attention.ts';
import { elementwiseKernel } from './kernels/elementwise.ts';
import { type MatmulVariant, chooseMatmulVariant, matmulKernel } from './kernels/matmul.ts';
import { concatKernel, gatherKernel, iotaKernel, sliceKernel, transposeKernel } from './kernels/movement.ts';
import { reduceKernel } from './kernels/reduce.ts';
import { layerNormKernel, softmaxKernel } from './kernels/rows.ts';
import { type CodegenTarget, KernelWriter } from './kernel-writer.ts';
import { type Precision, halfStorage } from './precision.ts';
import type { KernelProgram } from './program.ts';

export interface CodegenOptions {
  /** Force one matmul template (tests and benchmarks); 'auto' picks by shape. */
  readonly matmul?: 'auto' | MatmulVariant;
  /** 'f16': matmuls multiply in f16 with f32 accumulation, their weights stored as f16 (needs shader-f16). Default 'f32'. */
  readonly precision?: Precision;
}

/** The WGSL of one plan kernel; `half` (precision f16 only): the base buffers stored as f16. */
export function kernelProgram(plan: KernelPlan, k: Kernel, target: CodegenTarget, options: CodegenOptions = {}, half?: ReadonlySet<number>): KernelProgram {
  const w = new KernelWriter(plan, target, kernelWrites(k), half);
  switch (k.kind) {
    case 'elementwise': return elementwiseKernel(w, k);
    case 'matmul': {
      const variant = !options.matmul || options.matmul === 'auto' ? chooseMatmulVariant(w, k) : options.matmul;
      return matmulKernel(w, k, variant);
    }
    case 'attention': return attentionKernel(w, k);
    case 'softmax': return softmaxKernel(w, k);
    case 'layer_norm': return layerNormKernel(w, k);
    case 'reduce': return reduceKernel(w, k);
    case 'transpose': return transposeKernel(w, k);
    case 'slice': return sliceKernel(w, k);
    case 'concat': return concatKernel(w, k);
    case 'gather': return gatherKernel(w, k);
    case 'iota': return iotaKernel(w, k);
    default: return k satisfies never;
  }
}

export interface PlanPrograms {
  readonly precision: Precision;
  /** Base buffers stored as f16 (empty under precision f32). */
  readonly half: ReadonlySet<number>;
  readonly prologue: readonly KernelProgram[];
  readonly kernels: readonly KernelProgram[];
}

export function generatePrograms(plan: KernelPlan, target: CodegenTarget, options: CodegenOptions = {}): PlanPrograms {
  const precision = options.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'f16') throw new Error(`webgpu: precision must be 'f32' or 'f16', got ${JSON.stringify(precision)}`);
  const half = precision === 'f16' ? halfStorage(plan) : undefined;
  const gen = (k: Kernel, i: number, where: string) => {
    try {
      return kernelProgram(plan, k, target, options, half);
    } catch (e) {
      throw new Error(`webgpu: ${where} kernel ${i} (${k.label}): ${(e as Error).message}`);
    }
  };
  return {
    precision,
    half: half ?? new Set(),
    prologue: plan.prologue.map((k, i) => gen(k, i, 'prologue')),
    kernels: plan.kernels.map((k, i) => gen(k, i, 'forward')),
  };
}

/** The target of an AOT export, which may load on any adapter: WebGPU's guaranteed limits, a GPU assumed (workgroup tiles). */
export const PORTABLE_TARGET: CodegenTarget = { maxComputeWorkgroupStorageSize: 16384, workgroupTiles: true };
