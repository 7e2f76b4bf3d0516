// fuse-grouped-attention: IR text in and out (a repeat of kv heads folded into attention's grouped
// heads, multi-query too), a no-change case, a run-twice case, fused == unfused on the
// interpreter, and the whole pipeline on a DSL graph written like Hugging Face's Llama attention.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, input, interpret, opCounts, parseGraph, repeatKv, tensor } from '@smelt/ir';
import { optimize } from '../pipeline.ts';
import { ir, runPassOnText } from '../test-util.ts';

const before = ir`
  graph @g {
    input %q : f32[batch, 6, seq, 4]
    input %k : f32[batch, 2, seq, 4]
    input %v : f32[batch, 1, seq, 4]
    %0 = reshape(%k) {shape = [batch, 2, 1, seq, 4]} : f32[batch, 2, 1, seq, 4]
    %1 = expand(%0) {shape = [batch, 2, 3, seq, 4]} : f32[batch, 2, 3, seq, 4]
    %2 = reshape(%1) {shape = [batch, 6, seq, 4]} : f32[batch, 6, seq, 4]
    %3 = reshape(%v) {shape = [batch, 1, 1, seq, 4]} : f32[batch, 1, 1, seq, 4]
    %4 = expand(%3) {shape = [batch, 1, 6, seq, 4]} : f32[batch, 1, 6, seq, 4]
    %5 = reshape(%4) {shape = [batch, 6, seq, 4]} : f32[batch, 6, seq, 4]
    %6 = attention(%q, %2, %5) {scale = 0.5, causal = true} : f32[batch, 6, seq, 4]
    output y = %6
  }`;

const expected = ir`
  graph @g {
    input %q : f32[batch, 6, seq, 4]
    input %k : f32[batch, 2, seq, 4]
    input %v : f32[batch, 1, seq, 4]
    %0 = attention(%q, %k, %v) {scale = 0.5, causal = true} : f32[batch, 6, seq, 4]
    output y = %0
  }`;

function seeded(shape: readonly number[], seed: number): Tensor {
  const t = tensor('f32', shape);
  let s = seed;
  for (let i = 0; i < t.data.length; i++) t.data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return t;
}

describe('fuse-grouped-attention', () => {
  it('folds repeat_kv of k and v into attention (grouped-query k, multi-query v)', () => {
    const out = runPassOnText('fuse-grouped-attention', before);
    expect(runPassOnText('dce', out.text).text).toBe(expected);
    expect(out.changed).toBe(true);
  });

  it('leaves an expand that is not a head repeat', () => {
    const text = ir`
      graph @g {
        input %q : f32[batch, 6, seq, 4]
        input %k : f32[batch, 1, seq, 4]
        %0 = expand(%k) {shape = [batch, 6, seq, 4]} : f32[batch, 6, seq, 4]
        %1 = attention(%q, %0, %0) {scale = 0.5, causal = false} : f32[batch, 6, seq, 4]
        output y = %1
      }`;
    expect(runPassOnText('fuse-grouped-attention', text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => {
    const once = runPassOnText('fuse-grouped-attention', before).text;
    expect(runPassOnText('fuse-grouped-attention', once).changed).toBe(false);
  });

  it('fused == unfused', () => {
    const inputs = new Map([['q', seeded([2, 6, 5, 4], 1)], ['k', seeded([2, 2, 5, 4], 2)], ['v', seeded([2, 1, 5, 4], 3)]]);
    const want = interpret(parseGraph(before), inputs, new Map()).get('y')!;
    const got = interpret(parseGraph(expected), inputs, new Map()).get('y')!;
    expect(got.data).toEqual(want.data);
  });

  it('the pipeline fuses Llama-style attention (8 query heads over 2 kv heads) with no head copied', () => {
    const b = new GraphBuilder('gqa');
    const q = input(b, 'q', 'f32', ['batch', 8, 'seq', 16]);
    const k = input(b, 'k', 'f32', ['batch', 2, 'seq', 16]);
    const v = input(b, 'v', 'f32', ['batch', 2, 'seq', 16]);
    const probs = q.matmul(repeatKv(k, 4), { transB: true }).mul(0.25).softmax(-1);
    b.output('y', probs.matmul(repeatKv(v, 4)).value);
    const counts = opCounts(optimize(b.graph, { verifyEach: true }).graph);
    expect(counts).toEqual({ attention: 1 });
  });
});
