// ONNX export of every op kind: every case of the backends' op table (op-cases.ts: every kind of
// OP_KINDS, with NaN, ±inf, integer, bool and cast cases and symbolic dims) is exported, raw and
// after the compiler's pipeline (fused ops written as standard ONNX ops), accepted by onnx.checker
// (full_check) and run by ONNX Runtime at two symbol bindings to the interpreter's outputs.

import { describe, expect, it } from 'vitest';
import { OP_KINDS, type OpKind, interpret } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { OP_LOWERINGS, exportOnnx } from '@smelt/onnx';
import { describeIfAvailable } from './gate.ts';
import { CASES, ENVS } from './op-cases.ts';
import { checkModels, checkerUnavailable, expectOutputs, ortOutputs, tensorOutputs } from './onnx-export-util.ts';

describe('ONNX export rules', () => {
  it('has a rule for every op kind of the op table', () => {
    for (const kind of OP_KINDS) expect(typeof OP_LOWERINGS[kind], kind).toBe('function');
    expect(Object.keys(OP_LOWERINGS).sort()).toEqual([...OP_KINDS].sort());
  });
});

const exported = (kind: OpKind) => CASES[kind]().flatMap((c) => [
  { name: `${c.name} (raw)`, c, bytes: exportOnnx(c.graph, c.weights) },
  { name: `${c.name} (optimized)`, c, bytes: exportOnnx(compileGraph(c.graph).graph, c.weights) },
]);

describe.each(OP_KINDS.map((k) => [k]))('ONNX export of %s', (kind) => {
  it('runs in ONNX Runtime to the interpreter\'s outputs at two symbol bindings', async () => {
    for (const { name, c, bytes } of exported(kind)) {
      for (const env of ENVS) {
        const inputs = c.inputs(env);
        expectOutputs(await ortOutputs(bytes, inputs), tensorOutputs(interpret(c.graph, inputs, c.weights)), `${name} n=${env.n} m=${env.m}`);
      }
    }
  });
});

describeIfAvailable('onnx-export', 'python3-onnx', checkerUnavailable(), 'ONNX export of the op cases and onnx.checker', () => {
  it('onnx.checker (full_check) accepts every exported op case', () => {
    const models = new Map(OP_KINDS.flatMap((k) => exported(k).map((e) => [`${k}: ${e.name}`, e.bytes] as const)));
    const verdicts = checkModels(models);
    expect([...verdicts].filter(([, v]) => v !== 'ok')).toEqual([]);
    expect(verdicts.size).toBe(models.size);
  }, 300_000);
});

describe('the browser entry of @smelt/onnx', () => {
  it('bundles for the browser platform with no node: module (export and import alike)', async () => {
    const { build } = await import('esbuild');
    const r = await build({
      entryPoints: [new URL('../packages/onnx/src/index.ts', import.meta.url).pathname], bundle: true, platform: 'browser', format: 'esm',
      write: false, metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs).toContain('packages/onnx/src/export/export.ts');
    expect(inputs.filter((f) => f.startsWith('node:') || f === 'packages/onnx/src/node.ts')).toEqual([]);
    expect(Object.values(r.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.path.startsWith('node:') || x.external))).toEqual([]);
  });
});
