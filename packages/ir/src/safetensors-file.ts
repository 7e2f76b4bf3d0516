// Safetensors files on disk, for Node (the @smelt/ir/node entry): one read per file (8-aligned, so
// aligned tensors load zero-copy), and atomic writes: serialize, write a temp file beside the target,
// fsync, rename. Errors are SafetensorsErrors naming the file.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import { type SafetensorsContents, SafetensorsError, parseSafetensors } from './safetensors-read.ts';
import { type NamedTensors, type SerializeOptions, serializeLabeled } from './safetensors-write.ts';
import { deserializeSafetensors } from './safetensors.ts';
import type { Tensor } from './tensor.ts';

function fileLabel(path: string): string {
  return nodePath.basename(path) || path;
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** The whole file in one read, as a plain Uint8Array whose start is 8-aligned in its ArrayBuffer. */
function readBytes(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(fileLabel(path), undefined, `cannot read ${path}: ${errorCode(e)}`, { cause: e });
  }
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return raw.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

/** Parse a file without converting, so callers can check dtypes and shapes first. */
export function readSafetensorsEntries(path: string): SafetensorsContents {
  return parseSafetensors(readBytes(path), fileLabel(path));
}

export function readSafetensors(path: string): Map<string, Tensor> {
  return deserializeSafetensors(readBytes(path), fileLabel(path));
}

/** Serialize, then write to a temp file beside `path` and rename it over: never a half-written file. */
export function writeSafetensors(path: string, tensors: NamedTensors, opts: SerializeOptions = {}): void {
  const file = fileLabel(path);
  const bytes = serializeLabeled(tensors, opts, file);
  const tmp = nodePath.join(nodePath.dirname(path), `.${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new SafetensorsError(file, undefined, `cannot write ${path}: ${errorCode(e)}`, { cause: e });
  }
}
