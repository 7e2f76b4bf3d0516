// ONNX sequences and Loop, resolved at import (packages/onnx/src/ops/sequence.ts, loop.ts): the
// form torch exports `repeat_interleave` and list-valued ops in — SplitToSequence over an axis whose
// size the import knows, a Loop over its items with SequenceAt and SequenceInsert, a scan output,
// ConcatFromSequence with and without a new axis — run on every backend equal to ONNX Runtime; and
// what cannot be resolved at import is an error naming the node.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '@smelt/ir';
import { getBackend } from '@smelt/backends';
import { OnnxUnsupportedError, importOnnx } from '@smelt/onnx';
import { type ModelSpec, encodeModel, i64Initializer, sequenceInfo, valueInfo } from './onnx-build.ts';
import { TARGETS, maxAbsDiff, ortRun } from './onnx-fixtures.ts';

const [FLOAT, INT64, BOOL] = [1, 7, 9];

/** x [batch, 2, seq, 4] split along axis 1 into a sequence; a Loop over its length adds the iteration number to each item. */
function loopModel(tripCount: 'shape' | 'data'): ModelSpec {
  return {
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'one'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'SplitToSequence', inputs: ['x'], outputs: ['pieces'], attrs: { axis: 1 } },
      { op: 'SequenceEmpty', inputs: [], outputs: ['empty'], attrs: { dtype: FLOAT } },
      {
        op: 'Loop', inputs: [tripCount === 'shape' ? 'n' : 'm', 'yes', 'empty'], outputs: ['acc', 'scan'], attrs: {
          body: {
            graph: {
              nodes: [
                { op: 'SequenceAt', inputs: ['pieces', 'i'], outputs: ['item'] },
                { op: 'Cast', inputs: ['i'], outputs: ['fi'], attrs: { to: FLOAT } },
                { op: 'Add', inputs: ['item', 'fi'], outputs: ['y'] },
                { op: 'SequenceInsert', inputs: ['acc_in', 'y'], outputs: ['acc_out'] },
                { op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
              ],
              inputs: [valueInfo('i', INT64, []), valueInfo('cond_in', BOOL, []), sequenceInfo('acc_in', FLOAT)],
              outputs: [valueInfo('cond_out', BOOL, []), sequenceInfo('acc_out', FLOAT), valueInfo('y', FLOAT, ['batch', 1, 'seq', 4])],
            },
          },
        },
      },
      { op: 'ConcatFromSequence', inputs: ['acc'], outputs: ['joined'], attrs: { axis: 1 } },
      { op: 'ConcatFromSequence', inputs: ['acc'], outputs: ['stacked'], attrs: { axis: -1, new_axis: 1 } },
    ],
    inputs: [valueInfo('x', FLOAT, ['batch', 2, 'seq', 4]), ...(tripCount === 'data' ? [valueInfo('m', INT64, [])] : [])],
    outputs: [
      valueInfo('joined', FLOAT, ['batch', 2, 'seq', 4]), valueInfo('scan', FLOAT, [2, 'batch', 1, 'seq', 4]),
      valueInfo('stacked', FLOAT, ['batch', 1, 'seq', 4, 2]),
    ],
    initializers: [
      { ...(i64Initializer('one', [1]) as object), dims: [] },
      { name: 'yes', dims: [], data_type: BOOL, raw_data: Uint8Array.of(1) },
    ],
  };
}

function input(): Tensor {
  const x = tensor('f32', [3, 2, 5, 4]);
  x.data.forEach((_, i) => (x.data[i] = Math.sin(i * 0.37)));
  return x;
}

const UNAVAILABLE = new Map(await Promise.all(TARGETS.map(async (t) => [t.backend, await getBackend(t.backend).unavailableReason()] as const)));

describe('ONNX sequences and Loop', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-seq-'));
  const file = path.join(dir, 'loop.onnx');
  fs.writeFileSync(file, encodeModel(loopModel('shape')));

  it('unrolls the Loop into the graph: no sequence reaches it, dims stay symbolic', () => {
    const { graph } = importOnnx(fs.readFileSync(file), { file });
    expect(graph.outputs.map((o) => `${o.name}: [${o.value.type.shape.join(', ')}]`)).toEqual([
      'joined: [batch, 2, seq, 4]', 'scan: [2, batch, 1, seq, 4]', 'stacked: [batch, 1, seq, 4, 2]',
    ]);
  });

  it.each(TARGETS.map((t) => [t.name, t] as const))('on %s equals ONNX Runtime', { timeout: 300_000 }, async (_, target) => {
    const why = UNAVAILABLE.get(target.backend);
    if (why) {
      if (process.env.CI === 'true') throw new Error(`backend ${target.backend} is unavailable in CI: ${why}`);
      console.warn(`[onnx-sequences] ${target.name} skipped: ${why}`);
      return;
    }
    const inputs = new Map([['x', input()]]);
    const want = await ortRun(file, inputs);
    const m = importOnnx(fs.readFileSync(file), { file });
    const exe = await getBackend(target.backend).compile(m.graph, m.weights, target.options);
    try {
      const got = await exe.run(inputs);
      for (const k of ['joined', 'scan', 'stacked']) expect(maxAbsDiff(got.get(k)!.data as Float32Array, want.get(k)!), k).toBeLessThan(1e-6);
    } finally {
      exe.dispose();
    }
  });

  it('refuses a trip count that depends on tensor data, naming the Loop', () => {
    expect(() => importOnnx(encodeModel(loopModel('data')), { file: 'm.onnx' })).toThrow(OnnxUnsupportedError);
    expect(() => importOnnx(encodeModel(loopModel('data')), { file: 'm.onnx' })).toThrow(/m\.onnx: node "Loop_4" \(Loop, domain "ai\.onnx", opset 17\): the trip count M \(input 0\) must be known at import/);
  });

  it('refuses to unroll more than 1024 iterations, naming the Loop', () => {
    const spec: ModelSpec = {
      nodes: [{
        op: 'Loop', name: 'spin', inputs: ['trips', '', 'x'], outputs: ['y'], attrs: {
          body: {
            graph: {
              nodes: [{ op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] }, { op: 'Neg', inputs: ['x_in'], outputs: ['x_out'] }],
              inputs: [valueInfo('i', INT64, []), valueInfo('cond_in', BOOL, []), valueInfo('x_in', FLOAT, [4])],
              outputs: [valueInfo('cond_out', BOOL, []), valueInfo('x_out', FLOAT, [4])],
            },
          },
        },
      }],
      inputs: [valueInfo('x', FLOAT, [4])],
      outputs: [valueInfo('y', FLOAT, [4])],
      initializers: [{ ...(i64Initializer('trips', [5000]) as object), dims: [] }],
    };
    expect(() => importOnnx(encodeModel(spec), { file: 'm.onnx' })).toThrow(/node "spin" \(Loop, .*Loops of more than 1024 iterations in all are not unrolled/);
  });

  it('refuses a SplitToSequence over a dim whose size is symbolic, naming it', () => {
    const spec = loopModel('shape');
    const bad = { ...spec, inputs: [valueInfo('x', FLOAT, ['batch', 'heads', 'seq', 4])] };
    expect(() => importOnnx(encodeModel(bad), { file: 'm.onnx' })).toThrow(/node "SplitToSequence_2" \(SplitToSequence, .*cannot split a dim of size heads into a sequence/);
  });
});
