// fuse-head-layout: IR text in and out (attention's head split and merge transposes folded into
// layout bshd, grouped kv heads and a rank-3 graph too), the cases left alone (a transpose with
// another reader, another perm, a mix of transposed and plain operands, a result read otherwise),
// a run-twice case, and fused == unfused on the interpreter.

import { describe, expect, it } from 'vitest';
import { type Tensor, interpret, parseGraph, printGraph, tensor } from '@smelt/ir';
import { ir, runPassOnText } from '../test-util.ts';

/** Attention as a Transformer writes it: heads split out of [b, L, H, d] and merged back. */
const before = ir`
  graph @g {
    input %q : f32[batch, seq, 4, 8]
    input %k : f32[batch, mem, 2, 8]
    input %v : f32[batch, mem, 2, 8]
    input %m : f32[batch, 1, 1, mem]
    %0 = transpose(%q) {perm = [0, 2, 1, 3]} : f32[batch, 4, seq, 8]
    %1 = transpose(%k) {perm = [0, 2, 1, 3]} : f32[batch, 2, mem, 8]
    %2 = transpose(%v) {perm = [0, 2, 1, 3]} : f32[batch, 2, mem, 8]
    %3 = attention(%0, %1, %2, %m) {scale = 0.25, causal = false} : f32[batch, 4, seq, 8]
    %4 = transpose(%3) {perm = [0, 2, 1, 3]} : f32[batch, seq, 4, 8]
    %5 = reshape(%4) {shape = [batch, seq, 32]} : f32[batch, seq, 32]
    output y = %5
  }`;

const expected = ir`
  graph @g {
    input %q : f32[batch, seq, 4, 8]
    input %k : f32[batch, mem, 2, 8]
    input %v : f32[batch, mem, 2, 8]
    input %m : f32[batch, 1, 1, mem]
    %0 = attention(%q, %k, %v, %m) {scale = 0.25, causal = false, layout = "bshd"} : f32[batch, seq, 4, 8]
    %1 = reshape(%0) {shape = [batch, seq, 32]} : f32[batch, seq, 32]
    output y = %1
  }`;

function seeded(shape: readonly number[], seed: number): Tensor {
  const t = tensor('f32', shape);
  let s = seed;
  for (let i = 0; i < t.data.length; i++) t.data[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return t;
}

/** The pass leaves `text` as it is (compared as printed). */
function unchanged(text: string): void {
  const out = runPassOnText('fuse-head-layout', text);
  expect(out.changed).toBe(false);
  expect(out.text).toBe(printGraph(parseGraph(text)));
}

describe('fuse-head-layout', () => {
  it('folds the transposes of q, k, v and the result into attention {layout = bshd} (grouped kv heads, a mask)', () => {
    const out = runPassOnText('fuse-head-layout', before);
    expect(out.changed).toBe(true);
    expect(out.text).toBe(expected);
  });

  it('folds a rank-3 causal self-attention reading one transpose twice, read back by two transposes', () => {
    const out = runPassOnText('fuse-head-layout', ir`
      graph @g {
        input %x : f32[seq, 3, 5]
        %0 = transpose(%x) {perm = [1, 0, 2]} : f32[3, seq, 5]
        %1 = attention(%0, %0, %0) {scale = 0.5, causal = true} : f32[3, seq, 5]
        %2 = transpose(%1) {perm = [1, 0, 2]} : f32[seq, 3, 5]
        %3 = transpose(%1) {perm = [1, 0, 2]} : f32[seq, 3, 5]
        %4 = add(%2, %3) : f32[seq, 3, 5]
        output y = %4
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[seq, 3, 5]
        %0 = attention(%x, %x, %x) {scale = 0.5, causal = true, layout = "bshd"} : f32[seq, 3, 5]
        %1 = add(%0, %0) : f32[seq, 3, 5]
        output y = %1
      }`);
  });

  it('leaves a transposed operand another node reads', () => unchanged(before.replace('output y = %5', 'output y = %5\n  output kt = %1')));
  it('leaves a result read other than through the transpose', () => unchanged(before.replace('output y = %5', 'output y = %5\n  output heads = %3')));
  it('leaves a transpose of another perm', () => unchanged(before
    .replace('input %v : f32[batch, mem, 2, 8]', 'input %v : f32[2, batch, mem, 8]')
    .replace('%2 = transpose(%v) {perm = [0, 2, 1, 3]}', '%2 = transpose(%v) {perm = [1, 0, 2, 3]}')));
  it('leaves a mix of transposed and plain operands', () => unchanged(ir`
    graph @g {
      input %q : f32[batch, seq, 4, 8]
      input %k : f32[batch, 4, seq, 8]
      %0 = transpose(%q) {perm = [0, 2, 1, 3]} : f32[batch, 4, seq, 8]
      %1 = attention(%0, %k, %k) {scale = 0.25, causal = false} : f32[batch, 4, seq, 8]
      %2 = transpose(%1) {perm = [0, 2, 1, 3]} : f32[batch, seq, 4, 8]
      output y = %2
    }`));
  it('leaves a result read through another transpose', () => unchanged(before
    .replace('%4 = transpose(%3) {perm = [0, 2, 1, 3]} : f32[batch, seq, 4, 8]', '%4 = transpose(%3) {perm = [0, 1, 3, 2]} : f32[batch, 4, 8, seq]')
    .replace('%5 = reshape(%4) {shape = [batch, seq, 32]} : f32[batch, seq, 32]', '%5 = reshape(%4) {shape = [batch, 32, seq]} : f32[batch, 32, seq]')));

  it('running twice equals running once', () => {
    const once = runPassOnText('fuse-head-layout', before).text;
    expect(runPassOnText('fuse-head-layout', once)).toEqual({ text: once, changed: false });
  });

  it('fused == unfused', () => {
    const inputs = new Map([['q', seeded([2, 5, 4, 8], 1)], ['k', seeded([2, 7, 2, 8], 2)], ['v', seeded([2, 7, 2, 8], 3)], ['m', seeded([2, 1, 1, 7], 4)]]);
    const want = interpret(parseGraph(before), inputs, new Map()).get('y')!;
    const got = interpret(parseGraph(expected), inputs, new Map()).get('y')!;
    expect(got.data).toEqual(want.data);
  });
});
