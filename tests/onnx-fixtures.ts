// ONNX models for the importer and exporter tests, exported from plain PyTorch by
// scripts/onnx_models.py with Debian's torch (not committed: generated once per test run into a
// temporary folder), and ONNX Runtime (onnxruntime-node) as the oracle that runs the same files.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { Tensor } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';

const ROOT = path.resolve(__dirname, '..');
const PYTHON = '/usr/bin/python3';

/** Why the fixtures cannot be made here (no torch or no onnx for /usr/bin/python3), or undefined. */
export function fixturesUnavailable(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} cannot import torch and onnx (scripts/setup-system.sh installs python3-torch and python3-onnx)`;
  }
}

let dir: string | undefined;

/** The folder holding every case's NAME.onnx and NAME.inputs.safetensors, exported once per process. */
export function onnxFixtures(): string {
  if (!dir) {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-'));
    execFileSync(PYTHON, [path.join(ROOT, 'scripts/onnx_models.py'), d], { stdio: ['ignore', 'ignore', 'pipe'] });
    dir = d;
  }
  return dir;
}

export const CASES = [
  'transformer-post-opset14', 'transformer-post-opset17', 'transformer-pre-opset14', 'transformer-pre-opset17',
  'transformer-static', 'transformer-external', 'encoder-opset17', 'decoder-opset17',
] as const;

/** The model zoo's GPT-2, BERT and Llama (scripts/hf_models.py) at opsets 14 and 17 (tests/onnx-zoo.test.ts). */
export const ZOO_CASES = ['gpt2-opset14', 'gpt2-opset17', 'bert-opset14', 'bert-opset17', 'llama-opset14', 'llama-opset17'] as const;

/** nn.Conv1d models (tests/onnx-conv.test.ts). */
export const CONV_CASES = ['conv-opset17', 'conv-strided-opset14'] as const;

/** Where the ONNX tests run a model: every backend, and the wasm builds beyond the default one. */
export const TARGETS: readonly { readonly name: string; readonly backend: string; readonly options: Record<string, unknown> }[] = [
  { name: 'reference', backend: 'reference', options: {} },
  { name: 'js', backend: 'js', options: {} },
  { name: 'wasm', backend: 'wasm', options: { simd: 'plain' } },
  { name: 'wasm relaxed', backend: 'wasm', options: { simd: 'relaxed' } },
  { name: 'wasm 2 threads', backend: 'wasm', options: { simd: 'plain', threads: 2 } },
  { name: 'webgpu', backend: 'webgpu', options: {} },
];

export function caseInputs(name: string): Map<string, Tensor> {
  return readSafetensors(path.join(onnxFixtures(), `${name}.inputs.safetensors`));
}

const ORT_TYPE: Record<string, ort.Tensor.Type> = { f32: 'float32', i32: 'int32', i64: 'int64', bool: 'bool', u8: 'uint8' };

/** ONNX Runtime's outputs for a model file on the given inputs (by the model's names). */
export async function ortRun(file: string, inputs: ReadonlyMap<string, Tensor>): Promise<Map<string, Float32Array | Int32Array>> {
  const session = await ort.InferenceSession.create(file);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of inputs) feeds[k] = new ort.Tensor(ORT_TYPE[t.dtype], t.data as Float32Array, [...t.shape]);
  const res = await session.run(feeds);
  await session.release();
  const out = new Map<string, Float32Array | Int32Array>();
  for (const [k, t] of Object.entries(res)) {
    out.set(k, t.data instanceof BigInt64Array ? Int32Array.from(t.data, Number) : (t.data as Float32Array));
  }
  return out;
}

/** Inputs as smelt's backends take them: int64 ids as i32. */
export function smeltInputs(inputs: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  return new Map([...inputs].map(([k, t]) => [k, t.dtype === 'i64' ? { dtype: 'i32', shape: t.shape, data: Int32Array.from(t.data as BigInt64Array, Number) } as Tensor : t]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
