// Ahead-of-time export (`smelt compile --target wasm`): the module in both SIMD builds, single-
// threaded and threaded (shared memory, barriers between kernels: what `load({ threads })` uses),
// the load-time memory image (weights, constants and derived weights, GEMM panels already packed,
// so loading is one copy; the same for all four builds), and the standalone loader with its types.

import fs from 'node:fs';
import path from 'node:path';
import type { KernelPlan } from '@smelt/compiler';
import type { TensorInputs } from '../../backend.ts';
import { generateProgram } from '../codegen/program.ts';
import { WasmExecutable } from '../runtime/executable.ts';
import { relaxedSimdAvailable } from '../runtime/features.ts';
import { FILES, loaderSource, typesSource } from './loader.ts';
import { manifestOf } from './manifest.ts';

export interface ExportedWasm {
  readonly dir: string;
  /** Paths of the written files. */
  readonly files: readonly string[];
}

/** Write the four builds (model[-threads][-relaxed].wasm), model.bin, model.js and model.d.ts into `dir`. */
export async function exportWasm(plan: KernelPlan, weights: TensorInputs, dir: string): Promise<ExportedWasm> {
  const builds = {
    plain: generateProgram(plan, { simd: 'plain', threads: false }),
    relaxed: generateProgram(plan, { simd: 'relaxed', threads: false }),
    threads: generateProgram(plan, { simd: 'plain', threads: true }),
    threadsRelaxed: generateProgram(plan, { simd: 'relaxed', threads: true }),
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
  const contents: [string, string | Uint8Array][] = [
    [FILES.plain, builds.plain.bytes], [FILES.relaxed, builds.relaxed.bytes],
    [FILES.threads, builds.threads.bytes], [FILES.threadsRelaxed, builds.threadsRelaxed.bytes], [FILES.image, image],
    [FILES.loader, loaderSource(manifest)], [FILES.types, typesSource(manifest)],
  ];
  fs.mkdirSync(dir, { recursive: true });
  const files = contents.map(([name, data]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(`${file}.tmp`, data);
    fs.renameSync(`${file}.tmp`, file);
    return file;
  });
  return { dir, files };
}
