// Helpers of the ONNX export tests: ONNX Runtime (onnxruntime-node) running exported bytes on smelt
// tensors, onnx.checker (full_check, Debian's python3-onnx) over a batch of files in one python
// process, and the comparison of outputs to the interpreter's (floats to 1e-4, the rest exactly).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { type DType, type Tensor } from '@smelt/ir';

const PYTHON = '/usr/bin/python3';

/** Why onnx.checker cannot run here, or undefined. */
export function checkerUnavailable(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import onnx, onnx.checker'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${PYTHON} cannot import onnx (scripts/setup-system.sh installs python3-onnx)`;
  }
}

const CHECK = `
import sys, onnx, onnx.checker
for f in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(f), full_check=True)
        print("ok", f)
    except Exception as e:
        print("FAIL", f, str(e).replace("\\n", " ")[:2000])
`;

/** onnx.checker.check_model(m, full_check=True) on each model: file → 'ok' or the checker's message. */
export function checkModels(models: ReadonlyMap<string, Uint8Array>): Map<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-check-'));
  try {
    const files = [...models].map(([name, bytes], i) => {
      const f = path.join(dir, `${i}.onnx`);
      fs.writeFileSync(f, bytes);
      return [f, name] as const;
    });
    const out = execFileSync(PYTHON, ['-c', CHECK, ...files.map(([f]) => f)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const byFile = new Map(files);
    const verdicts = new Map<string, string>();
    for (const line of out.split('\n').filter(Boolean)) {
      const [verdict, f, ...why] = line.split(' ');
      verdicts.set(byFile.get(f)!, verdict === 'ok' ? 'ok' : why.join(' '));
    }
    return verdicts;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ORT_TYPE: { readonly [D in DType]: ort.Tensor.Type } = { f32: 'float32', f16: 'float16', i32: 'int32', i64: 'int64', u8: 'uint8', bool: 'bool' };

/** Outputs by name: shape, values as numbers, and whether they are floats (compared to a tolerance). */
export type Outputs = Map<string, { readonly shape: number[]; readonly values: number[]; readonly float: boolean }>;

/** The interpreter's (or any smelt) tensors as Outputs. */
export function tensorOutputs(tensors: ReadonlyMap<string, Tensor>): Outputs {
  return new Map([...tensors].map(([k, t]) => [k, {
    shape: [...t.shape], values: Array.from(t.data as ArrayLike<number | bigint>, Number), float: t.dtype === 'f32' || t.dtype === 'f16',
  }]));
}

/** ONNX Runtime's outputs for model bytes or a file, on smelt tensors (fed as the model's names). */
export async function ortOutputs(model: Uint8Array | string, inputs: ReadonlyMap<string, Tensor>): Promise<Outputs> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of inputs) feeds[k] = new ort.Tensor(ORT_TYPE[t.dtype], t.data as Float32Array, [...t.shape]);
    const res = await session.run(feeds);
    return new Map(Object.entries(res).map(([k, t]) => [k, {
      shape: [...t.dims], values: Array.from(t.data as ArrayLike<number | bigint>, Number), float: t.type === 'float32' || t.type === 'float16',
    }]));
  } finally {
    await session.release();
  }
}

/** `got` has each of `want`'s outputs: same shape, floats within tol (NaN and ±inf alike), the rest exactly. */
export function expectOutputs(got: Outputs, want: Outputs, what: string, tol = 1e-4): void {
  for (const [name, w] of want) {
    const g = got.get(name);
    expect(g, `${what}: output ${name} missing`).toBeDefined();
    expect(g!.shape, `${what}: output ${name} shape`).toEqual(w.shape);
    for (let i = 0; i < w.values.length; i++) {
      const [a, b] = [g!.values[i], w.values[i]];
      const ok = Object.is(a, b) || a === b || (w.float && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)));
      if (!ok) expect.fail(`${what}: output ${name} element ${i} is ${a}, expected ${b} (shape [${w.shape}])`);
    }
  }
}
