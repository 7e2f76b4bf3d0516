// The importer on bad input: unsupported ops, attribute values and opsets are named errors (the
// node, its op type, domain and opset, and what is supported); malformed files (truncated, bit
// flips, wrong attribute types, missing or misshaped initializers) are OnnxFormatErrors, never a
// crash or a hang; `smelt import` then writes nothing. Last, a seeded fuzz of mutated models.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type Tensor, interpret, tensor } from '@smelt/ir';
import { main } from '@smelt/cli';
import { OnnxError, OnnxFormatError, OnnxUnsupportedError, SUPPORTED_OPS, importOnnx } from '@smelt/onnx';
import { type ModelSpec, encodeModel, f32Initializer, mlpModel, valueInfo } from './onnx-build.ts';

const FLOAT = 1;
const load = (spec: ModelSpec) => importOnnx(encodeModel(spec), { file: 'm.onnx' });
const withNode = (node: ModelSpec['nodes'][number], extra: Partial<ModelSpec> = {}): ModelSpec => ({
  nodes: [node], inputs: [valueInfo('x', FLOAT, ['n', 4])], outputs: [valueInfo('y', FLOAT, ['n', 4])], ...extra,
});

describe('ONNX import errors', () => {
  it('imports the hand-written MLP and runs it', () => {
    const m = load(mlpModel());
    expect(m.graph.inputs[0].type.shape).toEqual(['batch', 4]);
    const y = interpret(m.graph, new Map([['x', tensor('f32', [2, 4], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8))]]), m.weights).get('y')! as Tensor<'f32'>;
    expect(y.shape).toEqual([2, 3]);
    expect(y.data[0] + y.data[1] + y.data[2]).toBeCloseTo(1, 5);
  });

  it('names an unsupported op: node, op type, domain, opset, and lists the supported ones', () => {
    const e = catchError(() => load(withNode({ op: 'Hardmax', name: 'hm', inputs: ['x'], outputs: ['y'] })));
    expect(e).toBeInstanceOf(OnnxUnsupportedError);
    expect(e.message).toMatch(/^m\.onnx: node "hm" \(Hardmax, domain "ai\.onnx", opset 17\): op Hardmax is not supported \(supported, domain ai\.onnx: .*LayerNormalization.*MatMul/);
  });

  it('evaluates a shape subgraph at import: Trilu of a bool fill of Shape(x) keeps its dtype', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'ConstantOfShape', inputs: ['s'], outputs: ['ones'] },
        { op: 'Cast', inputs: ['ones'], outputs: ['f'], attrs: { to: 9 } },
        { op: 'Not', inputs: ['f'], outputs: ['b'] },
        { op: 'Trilu', inputs: ['b'], outputs: ['keep'], attrs: { upper: 0 } },
        { op: 'Not', inputs: ['keep'], outputs: ['y'] },
      ],
      inputs: [valueInfo('x', FLOAT, ['n', 'n'])],
      outputs: [valueInfo('y', 9, ['n', 'n'])],
    };
    const m = load(spec);
    const y = interpret(m.graph, new Map([['x', tensor('f32', [3, 3])]]), m.weights).get('y')!;
    expect(y.dtype).toBe('bool');
    expect(Array.from(y.data as Uint8Array)).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('docs/FORMATS.md lists every supported op', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../docs/FORMATS.md'), 'utf8');
    const listed = doc.slice(doc.indexOf('Supported ops (domain `ai.onnx`)'));
    for (const op of SUPPORTED_OPS) expect(listed, op).toMatch(new RegExp(`\\b${op}\\b`));
  });

  it('names an op of another domain', () => {
    const e = catchError(() => load(withNode({ op: 'FusedMatMul', name: 'f', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] })));
    expect(e.message).toContain('node "f" (FusedMatMul, domain "com.microsoft", opset 0): op FusedMatMul is not supported');
  });

  it('names an unsupported attribute value and what is supported', () => {
    const spec = withNode({ op: 'Pad', name: 'p', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode: 'reflect' } }, {
      initializers: [{ name: 'pads', dims: [4], data_type: 7, raw_data: new Uint8Array(BigInt64Array.of(0n, 1n, 0n, 1n).buffer) }],
    });
    const e = catchError(() => load(spec));
    expect(e).toBeInstanceOf(OnnxUnsupportedError);
    expect(e.message).toContain('node "p" (Pad, domain "ai.onnx", opset 17): attribute mode = "reflect" is not supported (supported: "constant")');
  });

  it('refuses opsets outside 13 to 18, saying which are supported', () => {
    const e = catchError(() => load({ ...withNode({ op: 'Relu', inputs: ['x'], outputs: ['y'] }), opset: 11 }));
    expect(e.message).toBe('m.onnx: opset 11 of ai.onnx is not supported (supported: 13 to 18; re-export with opset_version=13)');
  });

  it('names a missing initializer (an input nothing produces)', () => {
    const e = catchError(() => load(withNode({ op: 'Add', name: 'a', inputs: ['x', 'bias'], outputs: ['y'] })));
    expect(e).toBeInstanceOf(OnnxFormatError);
    expect(e.message).toContain('node "a" (Add, domain "ai.onnx", opset 17): input 1 "bias" is not produced by any earlier node, input or initializer');
  });

  it('names an initializer whose data does not fit its shape', () => {
    const spec = withNode({ op: 'Add', inputs: ['x', 'bias'], outputs: ['y'] }, { initializers: [f32Initializer('bias', [5], [1, 2, 3, 4])] });
    expect(catchError(() => load(spec)).message).toBe('m.onnx: initializer "bias": 16 bytes of data, but FLOAT[5] needs 20');
  });

  it('names an attribute of the wrong type', () => {
    const e = catchError(() => load(withNode({ op: 'Transpose', name: 't', inputs: ['x'], outputs: ['y'], attrs: { perm: { floats: [1, 0] } } })));
    expect(e.message).toContain('node "t" (Transpose, domain "ai.onnx", opset 17): attribute perm is FLOATS, expected INTS');
  });

  it('names operand shapes that do not agree', () => {
    const spec = withNode({ op: 'Add', name: 'a', inputs: ['x', 'bias'], outputs: ['y'] }, { initializers: [f32Initializer('bias', [3], [1, 2, 3])] });
    const e = catchError(() => load(spec));
    expect(e).toBeInstanceOf(OnnxFormatError);
    expect(e.message).toContain('node "a" (Add');
    expect(e.message).toContain('f32[n, 4], f32[3]');
  });

  it('says a truncated file or garbage is not an ONNX model', () => {
    const bytes = encodeModel(mlpModel());
    for (const b of [bytes.subarray(0, bytes.length - 7), Uint8Array.of(0xff, 0xff, 0xff), new Uint8Array(0), new TextEncoder().encode('{"not": "onnx"}')]) {
      const e = catchError(() => importOnnx(b, { file: 'bad.onnx' }));
      expect(e).toBeInstanceOf(OnnxFormatError);
      expect(e.message).toMatch(/^bad\.onnx: /);
    }
  });

  it('smelt import of a malformed file writes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-bad-'));
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, encodeModel(mlpModel()).subarray(0, 40));
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
    try {
      expect(await main(['import', bad, '--out', path.join(dir, 'out')])).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }
    expect(stderr).toContain('bad.onnx: not a valid ONNX model');
    expect(fs.readdirSync(dir)).toEqual(['bad.onnx']);
  });
});

describe('ONNX import fuzz', () => {
  it('gives a model or a named OnnxError for 400 seeded mutants (bit flips, truncation, byte runs)', () => {
    const good = encodeModel(mlpModel());
    let s = 12345;
    const rand = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
    const outcomes = { imported: 0, errors: 0 };
    for (let i = 0; i < 400; i++) {
      const b = Uint8Array.from(good);
      const kind = i % 3;
      let m: Uint8Array = b;
      if (kind === 0) for (let k = 1 + rand(8); k > 0; k--) b[rand(b.length)] ^= 1 << rand(8);
      else if (kind === 1) m = b.subarray(0, rand(b.length));
      else b.fill(rand(256), rand(b.length), Math.min(b.length, rand(b.length) + 1 + rand(16)));
      try {
        importOnnx(m, { file: `mutant${i}.onnx` });
        outcomes.imported++;
      } catch (e) {
        if (!(e instanceof OnnxError)) throw new Error(`mutant ${i} (kind ${kind}) threw ${(e as Error).name}: ${(e as Error).message}`);
        expect((e as Error).message).toMatch(new RegExp(`^mutant${i}\\.onnx: .+`));
        outcomes.errors++;
      }
    }
    expect(outcomes.errors).toBeGreaterThan(100);
    expect(outcomes.imported + outcomes.errors).toBe(400);
  });
});

function catchError(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
