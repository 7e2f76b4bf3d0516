// Ahead-of-time export (`smelt compile --target webgpu`): the plan's kernels as .wgsl files, exactly
// as codegen makes them for any adapter (PORTABLE_TARGET: the limits WebGPU guarantees), one file
// per distinct text; weights.bin, the load-time GPU bytes of every weight and constant (f16 where
// precision f16 stores them so); model.js and model.d.ts (model-js.ts); a package.json marking the
// folder as an ES module package. In memory; @smelt/backends/node writes the files.

import type { KernelPlan } from '@smelt/compiler';
import type { ModuleFiles, TensorInputs } from '../../backend.ts';
import { type CodegenOptions, PORTABLE_TARGET, generatePrograms } from '../codegen.ts';
import { WANTED_LIMITS } from '../device.ts';
import { ARENA_ALIGNMENT } from '../gpu-memory.ts';
import { type FixedBuffer, fixedBuffers } from '../host-tensors.ts';
import { requiredFeatures } from '../precision.ts';
import { manifestOf } from './manifest.ts';
import { modelDts, modelJs } from './model-js.ts';

const WEIGHTS_FILE = 'weights.bin';

/** weights.bin: every fixed buffer with contents at a 16-byte aligned offset. */
function weightImage(fixed: readonly FixedBuffer[]): { bytes: Uint8Array; at: Map<number, { offset: number; bytes: number }> } {
  const at = new Map<number, { offset: number; bytes: number }>();
  let size = 0;
  for (const f of fixed) {
    if (!f.data) continue;
    at.set(f.id, { offset: size, bytes: f.data.byteLength });
    size += Math.ceil(f.data.byteLength / 16) * 16;
  }
  const bytes = new Uint8Array(size);
  for (const f of fixed) if (f.data) bytes.set(f.data, at.get(f.id)!.offset);
  return { bytes, at };
}

/**
 * The .wgsl files (one per distinct kernel), weights.bin, model.js (standalone: give it a GPU object),
 * model.d.ts and package.json of a plan, generated for any adapter (WebGPU's guaranteed limits).
 */
export function webgpuModuleFiles(plan: KernelPlan, weights: TensorInputs, options: CodegenOptions = {}): ModuleFiles {
  const programs = generatePrograms(plan, PORTABLE_TARGET, options);
  const image = weightImage(fixedBuffers(plan, weights, programs.half, programs.quantized));
  const texts = [...new Set([...programs.prologue, ...programs.kernels].map((p) => p.wgsl))];
  const width = String(texts.length - 1).length;
  const shaders = texts.map((_, i) => `kernel-${String(i).padStart(width, '0')}.wgsl`);
  const manifest = manifestOf(plan, {
    programs, features: requiredFeatures(programs.precision), limits: WANTED_LIMITS, alignment: ARENA_ALIGNMENT,
    weightsFile: WEIGHTS_FILE, shaders, shaderOf: new Map(texts.map((t, i) => [t, i])), image: image.at,
  });
  const pkg = { name: 'smelt-webgpu-model', private: true, type: 'module', main: './model.js', types: './model.d.ts' };
  return new Map<string, string | Uint8Array>([
    ...texts.map((t, i): [string, string] => [shaders[i], t]),
    [WEIGHTS_FILE, image.bytes], ['model.js', modelJs(manifest)], ['model.d.ts', modelDts(manifest)],
    ['package.json', `${JSON.stringify(pkg, null, 2)}\n`],
  ]);
}
