// Ahead-of-time export (`smelt compile --target wasm`): the module in both SIMD builds, the
// load-time memory image (weights, constants and derived weights, GEMM panels already packed, so
// loading is one copy), and the standalone loader with its types.

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

/** Write model.wasm, model-relaxed.wasm, model.bin, model.js and model.d.ts into `dir`. */
export async function exportWasm(plan: KernelPlan, weights: TensorInputs, dir: string): Promise<ExportedWasm> {
  const plain = generateProgram(plan, { simd: 'plain', threads: false });
  const relaxed = generateProgram(plan, { simd: 'relaxed', threads: false });
  await relaxedSimdAvailable();
  const exe = await WasmExecutable.load(plain, weights);
  const image = exe.loadTimeImage();
  exe.dispose();
  const manifest = manifestOf(plan, plain.memory, plain.maximumPages);
  const contents: [string, string | Uint8Array][] = [
    [FILES.plain, plain.bytes], [FILES.relaxed, relaxed.bytes], [FILES.image, image],
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
