// @smelt/backends/node: ahead-of-time exports written to a folder with Node's file system. The
// backends make an export's files in memory (Backend.exportFiles, which runs in a browser too);
// this entry writes them, each to a temporary name first and then renamed into place.

import fs from 'node:fs';
import path from 'node:path';
import type { KernelPlan, WeightsDType } from '@smelt/compiler';
import type { Graph } from '@smelt/ir';
import { type Backend, BackendError, type CompileOptions, type ExportedModule, type ModuleFiles, type TensorInputs } from './backend.ts';
import { jsModuleFiles } from './js/aot.ts';
import { wasmModuleFiles } from './wasm/aot/export.ts';
import { webgpuModuleFiles } from './webgpu/aot/export.ts';
import type { WebGpuCompileOptions } from './webgpu/index.ts';

/** A plain file or folder name: no separators, no `.` or `..`, nothing a shell or URL would read otherwise. */
const PLAIN_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;

/**
 * Write `files` into `dir` (created): each to `NAME.tmp`, then renamed over NAME. A name is a plain
 * file name, or plain folder names and a file name joined by `/` (a generator export's `encode/model.js`).
 */
export function writeModuleFiles(dir: string, files: ModuleFiles): ExportedModule {
  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  for (const name of files.keys()) {
    if (!name.split('/').every((part) => PLAIN_NAME.test(part))) {
      throw new BackendError(`export file name ${JSON.stringify(name)} is not a plain file name (or folder/file name)`);
    }
  }
  const written = [...files].map(([name, data]) => {
    const file = path.join(root, ...name.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, data);
    fs.renameSync(`${file}.tmp`, file);
    return file;
  });
  return { dir: root, files: written };
}

/** `backend`'s ahead-of-time export of a graph and its weights, written into `dir`. */
export async function exportModule(backend: Backend, graph: Graph, weights: TensorInputs, dir: string, options?: CompileOptions): Promise<ExportedModule> {
  if (!backend.exportFiles) throw new BackendError(`backend "${backend.name}" cannot export ahead of time`);
  return writeModuleFiles(dir, await backend.exportFiles(graph, weights, options));
}

/** The JS backend's export of a plan (model.js, model.d.ts, weights.safetensors, package.json) into `dir`. */
export function exportJsModule(plan: KernelPlan, weights: TensorInputs, dir: string): ExportedModule {
  return writeModuleFiles(dir, jsModuleFiles(plan, weights));
}

/** The wasm backend's export of a plan (four builds, model.bin, model.js, model.d.ts) into `dir`; matmul weights stored as `weightsDtype`. */
export async function exportWasm(plan: KernelPlan, weights: TensorInputs, dir: string, weightsDtype: WeightsDType = 'f32'): Promise<ExportedModule> {
  return writeModuleFiles(dir, await wasmModuleFiles(plan, weights, weightsDtype));
}

/** The WebGPU backend's export of a plan (.wgsl files, weights.bin, model.js, model.d.ts, package.json) into `dir`. */
export async function exportWebGpu(plan: KernelPlan, weights: TensorInputs, dir: string, options: WebGpuCompileOptions = {}): Promise<ExportedModule> {
  return writeModuleFiles(dir, webgpuModuleFiles(plan, weights, options));
}
