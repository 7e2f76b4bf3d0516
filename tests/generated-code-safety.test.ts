// Generated code is safe on every backend: a model whose every name is hostile (quotes, backticks,
// `${}`, `*/`, line breaks, U+2028/2029, unicode, `__proto__`) compiles and computes exactly what
// the interpreter computes on each registered backend; its ahead-of-time export has the same
// program text as the export of the same model with plain names (JS modulo string literals and
// comments, WGSL modulo comments, .d.ts files parse), and the exported JS and wasm folders run in a
// fresh Node process with the hostile names intact. Nothing ever sets globalThis.pwned.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type Tensor, interpret } from '@smelt/ir';
import { backendNames, getBackend } from '@smelt/backends';
import { exportModule } from '@smelt/backends/node';
import { NASTY, PLAIN, block, skeleton } from './hostile-names.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-safety-'));

function expectSame(got: ReadonlyMap<string, Tensor>, want: ReadonlyMap<string, Tensor>, what: string): void {
  expect([...got.keys()], `${what}: output names`).toEqual([...want.keys()]);
  for (const [name, t] of want) {
    const g = got.get(name)!.data as Float32Array;
    const w = t.data as Float32Array;
    expect(got.get(name)!.shape, `${what}: ${JSON.stringify(name)} shape`).toEqual(t.shape);
    for (let i = 0; i < w.length; i++) {
      if (!(Object.is(g[i], w[i]) || Math.abs(g[i] - w[i]) <= 1e-4 * Math.max(1, Math.abs(w[i])))) {
        expect.fail(`${what}: ${JSON.stringify(name)}[${i}] is ${g[i]}, the interpreter says ${w[i]}`);
      }
    }
  }
}

const stripWgslComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/\s+/g, ' ');

function expectSameProgram(plainDir: string, nastyDir: string, backend: string): void {
  const files = fs.readdirSync(plainDir).sort();
  expect(fs.readdirSync(nastyDir).sort(), `${backend}: exported files`).toEqual(files);
  for (const f of files) {
    const [a, b] = [path.join(plainDir, f), path.join(nastyDir, f)];
    if (f.endsWith('.d.ts')) {
      const sf = ts.createSourceFile(f, fs.readFileSync(b, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
      expect((sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics, `${backend}: ${f} parses`).toEqual([]);
    } else if (f.endsWith('.js')) {
      expect(skeleton(fs.readFileSync(b, 'utf8')), `${backend}: ${f} differs beyond strings and comments`).toBe(skeleton(fs.readFileSync(a, 'utf8')));
    } else if (f.endsWith('.wgsl')) {
      expect(stripWgslComments(fs.readFileSync(b, 'utf8')), `${backend}: ${f}`).toBe(stripWgslComments(fs.readFileSync(a, 'utf8')));
    }
  }
}

/** Run an exported js or wasm folder in a fresh node process (no NODE_PATH); outputs by name. */
function runFresh(dir: string, inputs: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const encoded = [...inputs].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Float32Array) }]);
  fs.writeFileSync(path.join(dir, 'inputs.json'), JSON.stringify(encoded));
  const script = `
    import fs from 'node:fs';
    import { load } from './model.js';
    const arrays = { f32: Float32Array, bool: Uint8Array };
    const entries = JSON.parse(fs.readFileSync('inputs.json', 'utf8')).map(([k, t]) => [k, { ...t, data: arrays[t.dtype].from(t.data) }]);
    const model = await load();
    const out = await model.run(new Map(entries));
    const pairs = out instanceof Map ? [...out] : Object.entries(out);
    process.stdout.write(JSON.stringify({ pwned: globalThis.pwned ?? null, outputs: pairs.map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]) }));`;
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  const got = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env, encoding: 'utf8' }));
  expect(got.pwned).toBeNull();
  return new Map(got.outputs.map(([k, t]: [string, { dtype: 'f32'; shape: number[]; data: number[] }]) => [k, { ...t, data: Float32Array.from(t.data) }]));
}

const backends = backendNames().filter((n) => n !== 'reference');

describe.each(backends)('generated code safety: %s', (name) => {
  const backend = getBackend(name);

  it('computes what the interpreter does with hostile names, at two sizes', { timeout: 120_000 }, async (ctx) => {
    const why = await backend.unavailableReason();
    if (why && process.env.CI === 'true') throw new Error(`${name} must be available in CI: ${why}`);
    if (why) return ctx.skip(why);
    const c = block(NASTY);
    const exe = await backend.compile(c.graph, c.weights);
    try {
      for (const [batch, seq] of [[2, 5], [1, 1]]) {
        const inputs = c.inputs(batch, seq);
        expectSame(await exe.run(inputs), interpret(c.graph, inputs, c.weights), `${name} [${batch}, ${seq}]`);
      }
    } finally {
      exe.dispose();
    }
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });

  it.runIf(backend.exportFiles !== undefined)('exports the same program whatever the names; the export runs in a fresh process', { timeout: 120_000 }, async (ctx) => {
    const why = await backend.unavailableReason();
    if (why && process.env.CI === 'true') throw new Error(`${name} must be available in CI: ${why}`);
    if (why) return ctx.skip(why);
    const [plain, nasty] = [block(PLAIN), block(NASTY)];
    const [plainDir, nastyDir] = [tmp(), tmp()];
    await exportModule(backend, plain.graph, plain.weights, plainDir);
    await exportModule(backend, nasty.graph, nasty.weights, nastyDir);
    expectSameProgram(plainDir, nastyDir, name);
    if (name === 'webgpu') return; // its fresh-process run needs the webgpu package: webgpu-aot.test.ts
    const inputs = nasty.inputs(2, 3);
    expectSame(runFresh(nastyDir, inputs), interpret(nasty.graph, inputs, nasty.weights), `${name} export`);
  });
});
