// fuse-gated-linear: SwiGLU's silu(x @ W1) * (x @ W3) as one linear whose epilogue reads the up
// projection — IR text in and out, a no-change case, a run-twice case, fused == unfused on the
// interpreter, and the counts of the whole pipeline on a Llama-style feed-forward.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, Var, input, interpret, opCounts, parseGraph, tensor } from '@smelt/ir';
import { optimize } from '../pipeline.ts';
import { ir, runPassOnText } from '../test-util.ts';

const before = ir`
  graph @g {
    input %x : f32[batch, seq, 8]
    param %w1 : f32[16, 8]
    param %w3 : f32[16, 8]
    %0 = matmul(%x, %w1) {transA = false, transB = true} : f32[batch, seq, 16]
    %1 = silu(%0) : f32[batch, seq, 16]
    %2 = matmul(%x, %w3) {transA = false, transB = true} : f32[batch, seq, 16]
    %3 = mul(%1, %2) : f32[batch, seq, 16]
    output y = %3
  }`;

const expected = ir`
  graph @g {
    input %x : f32[batch, seq, 8]
    param %w1 : f32[16, 8]
    param %w3 : f32[16, 8]
    %0 = matmul(%x, %w3) {transA = false, transB = true} : f32[batch, seq, 16]
    %1 = linear(%x, %w1, %0) {transB = true, epilogue = "mul(silu($0), $1)"} : f32[batch, seq, 16]
    output y = %1
  }`;

function seeded(shape: readonly number[], seed: number): Tensor {
  const t = tensor('f32', shape);
  let s = seed;
  for (let i = 0; i < t.data.length; i++) t.data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return t;
}

describe('fuse-gated-linear', () => {
  it('makes the gate a linear whose epilogue multiplies by the up projection', () => {
    const out = runPassOnText('fuse-gated-linear', before);
    expect(out).toEqual({ text: expected, changed: true });
  });

  it('leaves a gate whose product is also read elsewhere, and products of different inputs', () => {
    const text = ir`
      graph @g {
        input %x : f32[seq, 8]
        input %z : f32[seq, 8]
        param %w1 : f32[16, 8]
        param %w3 : f32[16, 8]
        %0 = matmul(%x, %w1) {transA = false, transB = true} : f32[seq, 16]
        %1 = silu(%0) : f32[seq, 16]
        %2 = matmul(%x, %w3) {transA = false, transB = true} : f32[seq, 16]
        %3 = mul(%1, %2) : f32[seq, 16]
        %4 = matmul(%z, %w3) {transA = false, transB = true} : f32[seq, 16]
        %5 = gelu(%0) {approximate = "tanh"} : f32[seq, 16]
        %6 = mul(%5, %4) : f32[seq, 16]
        output y = %3
        output z = %6
      }`;
    expect(runPassOnText('fuse-gated-linear', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => {
    expect(runPassOnText('fuse-gated-linear', expected)).toEqual({ text: expected, changed: false });
  });

  it('fused == unfused', () => {
    const inputs = new Map([['x', seeded([2, 3, 8], 1)]]);
    const params = new Map([['w1', seeded([16, 8], 2)], ['w3', seeded([16, 8], 3)]]);
    const want = interpret(parseGraph(before), inputs, params).get('y')!;
    const got = interpret(parseGraph(expected), inputs, params).get('y')!;
    const worst = Math.max(...Array.from(want.data as Float32Array, (w, i) => Math.abs(w - (got.data as Float32Array)[i])));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('the pipeline makes a Llama feed-forward two matmul kernels and no split or elementwise kernel', () => {
    const b = new GraphBuilder('ffn');
    const x = input(b, 'x', 'f32', ['batch', 'seq', 8]);
    const w = (name: string, shape: number[]) => new Var(b, b.param(name, 'f32', shape));
    const [gateW, upW, downW] = [w('gate_proj.weight', [16, 8]), w('up_proj.weight', [16, 8]), w('down_proj.weight', [8, 16])];
    const h = x.matmul(gateW, { transB: true }).silu().mul(x.matmul(upW, { transB: true }));
    b.output('y', h.matmul(downW, { transB: true }).add(x).value);
    expect(opCounts(optimize(b.graph, { verifyEach: true }).graph)).toEqual({ linear: 2, matmul: 1 });
  });
});
