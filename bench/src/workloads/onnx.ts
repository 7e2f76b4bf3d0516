// The ONNX files ONNX Runtime runs, made on demand by scripts/export_onnx.py with Debian's PyTorch
// from the workload's own weights file, each with its int8 twin NAME.q8.onnx (scripts/quantize_onnx.py).
// They are remade when older than the weights or the scripts.
// Without PyTorch (or when the export fails) the ORT rows of that workload say why, and no more.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type WorkloadDef, partStem, workloadParts } from './defs.ts';
import { BENCH_ROOT, workloadDir } from './data.ts';

const SCRIPT = path.resolve(BENCH_ROOT, '../scripts/export_onnx.py');
const QUANTIZE_SCRIPT = path.resolve(BENCH_ROOT, '../scripts/quantize_onnx.py');
/** Debian's python3-torch installs for the system python (docs/FORMATS.md). */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const EXPORT_TIMEOUT_MS = 10 * 60_000;

export type OnnxStatus = { readonly ok: true; readonly log: string } | { readonly ok: false; readonly reason: string };

function mtime(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).mtimeMs : -1;
}

function isCurrent(def: WorkloadDef): boolean {
  const dir = workloadDir(def.id);
  const newest = Math.max(mtime(path.join(dir, 'weights.safetensors')), mtime(SCRIPT), mtime(QUANTIZE_SCRIPT));
  return workloadParts(def.shape).every((p) => ['', '.q8'].every((q8) => mtime(path.join(dir, `${partStem(p)}${q8}.onnx`)) > newest));
}

function failure(out: ReturnType<typeof spawnSync>): string {
  if (out.error) return `${PYTHON} could not run: ${(out.error as NodeJS.ErrnoException).code ?? out.error.message}`;
  const err = `${out.stderr ?? ''}`.trim();
  if (/No module named ['"]?torch/.test(err)) return `PyTorch is not installed for ${PYTHON} (apt-get install python3-torch)`;
  if (/No module named ['"]?onnx\b/.test(err)) return `the onnx package is not installed for ${PYTHON} (apt-get install python3-onnx): scripts/quantize_onnx.py writes the int8 twins with it`;
  const last = err.split('\n').filter(Boolean).at(-1) ?? `exit ${out.status ?? out.signal}`;
  return `scripts/export_onnx.py failed: ${last}`;
}

export function ensureOnnx(def: WorkloadDef, log: (line: string) => void): OnnxStatus {
  if (isCurrent(def)) return { ok: true, log: 'ONNX files up to date' };
  log(`  ${def.id}: exporting ONNX with PyTorch (scripts/export_onnx.py)...`);
  const out = spawnSync(PYTHON, ['-B', SCRIPT, workloadDir(def.id)], { encoding: 'utf8', timeout: EXPORT_TIMEOUT_MS });
  if (out.status !== 0) return { ok: false, reason: failure(out) };
  const text = out.stdout.trim();
  for (const line of text.split('\n')) if (line.startsWith('PyTorch')) log(`    ${line}`);
  return { ok: true, log: text };
}
