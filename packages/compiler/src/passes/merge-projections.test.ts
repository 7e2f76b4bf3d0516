// merge-projections: x@Wqᵀ+bq, x@Wkᵀ+bk, x@Wvᵀ+bv with one x become one matmul over the
// concatenated weights and a split — IR text in, IR text out, and merged == unmerged numerically.

import { describe, expect, it } from 'vitest';
import { type Graph, type Tensor, type Value, interpret, parseGraph, resolveShape, tensor } from '@smelt/ir';
import { ir, runPassOnText } from '../test-util.ts';

const run = (text: string) => runPassOnText('merge-projections', text);

/** merge-projections then dce, as the merge phase runs them: the pass leaves the old projections for dce. */
function merge(text: string): { text: string; changed: boolean } {
  const out = run(text);
  return { text: runPassOnText('dce', out.text).text, changed: out.changed };
}

/** Seeded values in [-1, 1) for every input and parameter of `g`, symbols sized by `env`. */
function randomTensors(g: Graph, seed: number, env: ReadonlyMap<string, number>): { inputs: Map<string, Tensor>; params: Map<string, Tensor> } {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const fill = (v: Value): [string, Tensor] => {
    const t = tensor('f32', resolveShape(v.type.shape, env));
    for (let i = 0; i < t.data.length; i++) t.data[i] = rand() * 2 - 1;
    return [v.name!, t];
  };
  return { inputs: new Map(g.inputs.map(fill)), params: new Map(g.params.map(fill)) };
}

const QKV = ir`
  graph @qkv {
    input %x : f32[batch, seq, 8]
    param %q.weight : f32[8, 8]
    param %q.bias : f32[8]
    param %k.weight : f32[8, 8]
    param %k.bias : f32[8]
    param %v.weight : f32[8, 8]
    param %v.bias : f32[8]
    %0 = matmul(%x, %q.weight) {transA = false, transB = true} : f32[batch, seq, 8]
    %1 = add(%0, %q.bias) : f32[batch, seq, 8]
    %2 = matmul(%x, %k.weight) {transA = false, transB = true} : f32[batch, seq, 8]
    %3 = add(%2, %k.bias) : f32[batch, seq, 8]
    %4 = matmul(%x, %v.weight) {transA = false, transB = true} : f32[batch, seq, 8]
    %5 = add(%4, %v.bias) : f32[batch, seq, 8]
    output q = %1
    output k = %3
    output v = %5
  }`;

describe('merge-projections', () => {
  it('turns three projections of one x into concat → matmul → add(concat) → split', () => {
    expect(merge(QKV)).toEqual({
      changed: true,
      text: ir`
        graph @qkv {
          input %x : f32[batch, seq, 8]
          param %q.weight : f32[8, 8]
          param %q.bias : f32[8]
          param %k.weight : f32[8, 8]
          param %k.bias : f32[8]
          param %v.weight : f32[8, 8]
          param %v.bias : f32[8]
          %0 = concat(%q.weight, %k.weight, %v.weight) {axis = 0} : f32[24, 8]
          %1 = matmul(%x, %0) {transA = false, transB = true} : f32[batch, seq, 24]
          %2 = concat(%q.bias, %k.bias, %v.bias) {axis = 0} : f32[24]
          %3 = add(%1, %2) : f32[batch, seq, 24]
          %4, %5, %6 = split(%3) {axis = -1, sizes = [8, 8, 8]} : f32[batch, seq, 8], f32[batch, seq, 8], f32[batch, seq, 8]
          output q = %4
          output k = %5
          output v = %6
        }`,
    });
  });

  it('computes what the separate projections compute', () => {
    const before = parseGraph(QKV);
    const after = parseGraph(merge(QKV).text);
    const { inputs, params } = randomTensors(before, 7, new Map([['batch', 2], ['seq', 3]]));
    const want = interpret(before, inputs, params);
    const got = interpret(after, inputs, params);
    for (const name of ['q', 'k', 'v']) {
      const [a, b] = [got.get(name)!, want.get(name)!];
      expect(a.shape).toEqual(b.shape);
      a.data.forEach((x, i) => expect(Math.abs(Number(x) - Number(b.data[i]))).toBeLessThanOrEqual(1e-5));
    }
  });

  it('leaves a single projection alone', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 8]
        param %w : f32[4, 8]
        param %b : f32[4]
        %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
        %1 = add(%0, %b) : f32[batch, 4]
        output y = %1
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => {
    const once = run(QKV).text;
    expect(run(once)).toEqual({ text: once, changed: false });
  });
});
