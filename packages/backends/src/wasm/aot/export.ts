// Ahead-of-time export (`smelt compile --target wasm`): the module in both SIMD builds, single-
// threaded and threaded (shared memory, barriers between kernels: what `load({ threads })` uses),
// the load-time memory image (weights, constants and derived weights, GEMM panels already packed,
// so loading is one copy; the same for all four builds; with weightsDtype int8 or f16 its panels
// are quantized, so it is about 4× or 2× smaller), and the standalone loader with its types.
// In memory; @smelt/backends/node writes the files.

import type { KernelPlan, WeightsDType } from '@smelt/compiler';
import type { ModuleFiles, TensorInputs } from '../../backend.ts';
import { generateProgram } from '../codegen/program.ts';
import { WasmExecutable } from '../runtime/executable.ts';
import { relaxedSimdAvailable } from '../runtime/features.ts';
import { FILES, loaderSource, typesSource } from './loader.ts';
import { manifestOf } from './manifest.ts';

/** The four builds (model[-threads][-relaxed].wasm), model.bin, model.js and model.d.ts of a plan. */
export async function wasmModuleFiles(plan: KernelPlan, weights: TensorInputs, weightsDtype: WeightsDType = 'f32'): Promise<ModuleFiles> {
  const builds = {
    plain: generateProgram(plan, { simd: 'plain', threads: false, weightsDtype }),
    relaxed: generateProgram(plan, { simd: 'relaxed', threads: false, weightsDtype }),
    threads: generateProgram(plan, { simd: 'plain', threads: true, weightsDtype }),
    threadsRelaxed: generateProgram(plan, { simd: 'relaxed', threads: true, weightsDtype }),
  };
  await relaxedSimdAvailable();
  const exe = await WasmExecutable.load(builds.plain, weights);
  const image = exe.loadTimeImage();
  exe.dispose();
  const manifest = manifestOf(plan, builds.plain.memory, builds.plain.maximumPages, builds.threads.counters);
  for (const [name, b] of Object.entries(builds)) {
    // One image and one manifest serve every build: their memory maps must agree.
    const m = manifestOf(plan, b.memory, b.maximumPages, builds.threads.counters);
    if (JSON.stringify(m) !== JSON.stringify(manifest)) throw new Error(`wasm export: the ${name} build lays out memory differently from the plain one`);
  }
  return new Map<string, string | Uint8Array>([
    [FILES.plain, builds.plain.bytes], [FILES.relaxed, builds.relaxed.bytes],
    [FILES.threads, builds.threads.bytes], [FILES.threadsRelaxed, builds.threadsRelaxed.bytes], [FILES.image, image],
    [FILES.loader, loaderSource(manifest)], [FILES.types, typesSource(manifest)],
  ]);
}
