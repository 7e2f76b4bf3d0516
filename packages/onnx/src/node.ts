// @smelt/onnx/node: ONNX files on disk, with their external data files (read relative to the
// model's folder, never outside it), and writing a graph as an ONNX file (export/export.ts).

import fs from 'node:fs';
import path from 'node:path';
import { OnnxFormatError } from './errors.ts';
import type { Graph, Tensor } from '@smelt/ir';
import { type ExportOptions, exportOnnx } from './export/export.ts';
import { type ImportOptions, type ImportedModel, importOnnx } from './import.ts';

export function readOnnx(file: string, options: Omit<ImportOptions, 'file' | 'externalData'> = {}): ImportedModel {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new OnnxFormatError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const dir = path.dirname(path.resolve(file));
  const cache = new Map<string, Uint8Array>();
  const externalData = (location: string): Uint8Array | undefined => {
    const full = path.resolve(dir, location);
    if (path.isAbsolute(location) || !full.startsWith(dir + path.sep)) {
      throw new OnnxFormatError(`${file}: external data location ${JSON.stringify(location)} is outside the model's folder`);
    }
    if (!cache.has(full)) {
      if (!fs.existsSync(full)) return undefined;
      cache.set(full, fs.readFileSync(full));
    }
    return cache.get(full);
  };
  return importOnnx(bytes, { ...options, file, externalData });
}

/** Write a graph and its weights as an ONNX model file (opset 17); nothing is written when the export fails. */
export function writeOnnx(file: string, graph: Graph, weights: ReadonlyMap<string, Tensor>, options: ExportOptions = {}): void {
  fs.writeFileSync(file, exportOnnx(graph, weights, options));
}
