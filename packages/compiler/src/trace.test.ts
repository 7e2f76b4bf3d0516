// Pass provenance and the compile trace the viewer draws: IR text in, the pipeline's IR text out
// with each node a pass made marked `// made by PASS`; node ids stay while a node survives; FLOPs,
// bytes, kernels and the memory plan come with it.

import { describe, expect, it } from 'vitest';
import { parseGraph } from '@smelt/ir';
import { compileGraph } from './compile.ts';
import { ir } from './test-util.ts';
import { compileWithTrace, layerOf, printWithProvenance } from './trace.ts';

const MLP = ir`
  graph @g {
    input %x : f32[batch, 8]
    param %w : f32[4, 8]
    param %b : f32[4]
    %0 = transpose(%w) {perm = [1, 0]} : f32[8, 4]
    %1 = matmul(%x, %0) {transA = false, transB = false} : f32[batch, 4]
    %2 = add(%1, %b) : f32[batch, 4]
    %3 = relu(%2) : f32[batch, 4]
    output y = %3
  }`;

describe('pass provenance', () => {
  it('marks the node each pass made in the optimized IR text', () => {
    const r = compileGraph(parseGraph(MLP));
    expect(printWithProvenance(r.graph, r.provenance)).toBe(ir`
      graph @g {
        input %x : f32[batch, 8]
        param %w : f32[4, 8]
        param %b : f32[4]
        %0 = linear(%x, %w, %b) {transB = true, epilogue = "relu(add($0, $1))"} : f32[batch, 4]  // made by fuse-matmul-epilogue
        output y = %0
      }`);
    // The marked text still parses (the marks are comments).
    expect(printWithProvenance(parseGraph(printWithProvenance(r.graph, r.provenance)), new Map())).toBe(ir`
      graph @g {
        input %x : f32[batch, 8]
        param %w : f32[4, 8]
        param %b : f32[4]
        %0 = linear(%x, %w, %b) {transB = true, epilogue = "relu(add($0, $1))"} : f32[batch, 4]
        output y = %0
      }`);
  });

  it('names the step and forgets nodes a later pass dropped', () => {
    const r = compileGraph(parseGraph(MLP));
    const made = [...r.provenance.values()];
    expect(made).toEqual([{ pass: 'fuse-matmul-epilogue', step: r.log.find((l) => l.pass === 'fuse-matmul-epilogue')!.step }]);
    // With the fusion disabled, nothing in the result was made by a pass but the canonicalized matmul kept its node.
    const plain = compileGraph(parseGraph(MLP), { disable: ['fuse-matmul-epilogue', 'fuse-elementwise'] });
    expect(printWithProvenance(plain.graph, plain.provenance)).not.toContain('made by');
  });
});

describe('compile trace', () => {
  const { trace } = compileWithTrace(parseGraph(MLP), {}, (symbols) => new Map(symbols.map((s) => [s, 2])));

  it('has the graph as built, then one step per pass', () => {
    expect(trace.steps[0]).toMatchObject({ step: 0, pass: 'built', changed: false });
    expect(trace.steps[0].text).toBe(MLP);
    expect(trace.steps.map((s) => s.step)).toEqual(trace.steps.map((_, i) => i));
    expect(trace.steps.filter((s) => s.changed).map((s) => s.pass)).toEqual(['canonicalize', 'fuse-matmul-epilogue']);
  });

  it('keeps a node id while the node survives and gives new nodes new ids', () => {
    const ids = (step: number) => trace.steps[step].nodes.map((n) => `${n.id}:${n.op}:${n.madeBy}`);
    expect(ids(0)).toEqual(['0:transpose:built', '1:matmul:built', '2:add:built', '3:relu:built']);
    const canon = trace.steps.find((s) => s.pass === 'canonicalize')!.step;
    expect(ids(canon)).toEqual(['1:matmul:built', '2:add:built', '3:relu:built']);
    expect(ids(trace.steps.length - 1)).toEqual(['4:linear:fuse-matmul-epilogue']);
    const linear = trace.steps.at(-1)!.nodes[0];
    expect(linear).toMatchObject({
      attrs: { transB: 'true', epilogue: '"relu(add($0, $1))"' }, fused: true,
      inputs: [{ ref: '%x', type: 'f32[batch, 8]' }, { ref: '%w', type: 'f32[4, 8]' }, { ref: '%b', type: 'f32[4]' }],
      outputs: [{ ref: '%0', type: 'f32[batch, 4]', node: 4 }],
    });
    expect(trace.steps[0].nodes[1].inputs[1]).toEqual({ ref: '%0', type: 'f32[8, 4]', node: 0 });
  });

  it('counts FLOPs and bytes per node at the given sizes', () => {
    // batch = 2: 2x4 outputs, each 8 multiply-adds (16) + add + relu = 18 → 144; bytes x 64 + w 128 + b 16 + y 32.
    expect(trace.steps.at(-1)!.nodes[0]).toMatchObject({ flops: 144, bytes: 240 });
    expect(trace.kernels).toEqual([{ index: 0, kind: 'matmul', label: 'linear: relu(add($0, $1))', node: 4, flops: 144, bytes: 240 }]);
    expect(trace.env).toEqual({ batch: 2 });
    expect(trace.memory).toEqual({ slots: [{ id: 0, offset: 0, bytes: 32, buffers: [{ id: 3, bytes: 32, first: 0, last: 1 }] }], peakBytes: 32, naiveBytes: 32 });
  });

  it('groups nodes by the numbered layer of the weights they read', () => {
    expect(layerOf('encoder.layers.3.self_attn.in_proj_weight')).toBe('encoder.layers.3');
    expect(layerOf('h.11.attn.c_attn.weight')).toBe('h.11');
    expect(layerOf('model.layers.0.mlp.up_proj.weight')).toBe('model.layers.0');
    expect(layerOf('generator.weight')).toBeUndefined();
    const g = parseGraph(ir`
      graph @g {
        input %x : f32[batch, 4]
        param %layers.0.w : f32[4, 4]
        param %layers.1.w : f32[4, 4]
        param %head : f32[2, 4]
        %0 = matmul(%x, %layers.0.w) {transA = false, transB = true} : f32[batch, 4]
        %1 = tanh(%0) : f32[batch, 4]
        %2 = matmul(%1, %layers.1.w) {transA = false, transB = true} : f32[batch, 4]
        %3 = add(%2, %1) : f32[batch, 4]
        %4 = matmul(%3, %head) {transA = false, transB = true} : f32[batch, 2]
        output y = %4
      }`);
    const step0 = compileWithTrace(g).trace.steps[0];
    expect(step0.nodes.map((n) => n.layer ?? '-')).toEqual(['layers.0', 'layers.0', 'layers.1', 'layers.1', '-']);
  });
});
