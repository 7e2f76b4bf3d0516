// canonicalize's causal masked fill (masked-fill.ts): Hugging Face's
// where(not(col <= row), lowest f32, scores) before a softmax becomes the DSL's additive causal mask,
// as IR text in and out; what must not change does not; the interpreter agrees before and after.

import { describe, expect, it } from 'vitest';
import { interpret, parseGraph, tensor } from '@smelt/ir';
import { optimize } from '../pipeline.ts';
import { ir, runPassOnText } from '../test-util.ts';

const run = (text: string) => runPassOnText('canonicalize', text);

const hfMask = (fill: string, cmp = 'le(%2, %1)', sm = '{axis = -1}') => ir`
  graph @g {
    input %x : f32[batch, 2, seq, seq]
    %0 = constant() {value = dense<f32[], ${fill}>} : f32[]
    %1 = iota() {shape = [seq, seq], axis = 0, dtype = i32} : i32[seq, seq]
    %2 = iota() {shape = [seq, seq], axis = 1, dtype = i32} : i32[seq, seq]
    %3 = ${cmp} : bool[seq, seq]
    %4 = not(%3) : bool[seq, seq]
    %5 = where(%4, %0, %x) : f32[batch, 2, seq, seq]
    %6 = softmax(%5) ${sm} : f32[batch, 2, seq, seq]
    output y = %6
  }`;

const LOWEST = '-3.4028234663852886e+38';

describe('canonicalize: causal masked fill', () => {
  it('writes softmax(where(not(col <= row), lowest, x)) as softmax(x + where(col > row, -inf, 0))', () => {
    const out = run(hfMask(LOWEST));
    expect(out.changed).toBe(true);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[batch, 2, seq, seq]
        %0 = iota() {shape = [seq, seq], axis = 0, dtype = i32} : i32[seq, seq]
        %1 = iota() {shape = [seq, seq], axis = 1, dtype = i32} : i32[seq, seq]
        %2 = gt(%1, %0) : bool[seq, seq]
        %3 = constant() {value = dense<f32[], -inf>} : f32[]
        %4 = constant() {value = dense<f32[], 0>} : f32[]
        %5 = where(%2, %3, %4) : f32[seq, seq]
        %6 = add(%x, %5) : f32[batch, 2, seq, seq]
        %7 = softmax(%6) {axis = -1} : f32[batch, 2, seq, seq]
        output y = %7
      }`);
    expect(run(out.text)).toEqual({ text: out.text, changed: false });
  });

  it('gives the same outputs on the interpreter, and the pipeline fuses nothing it should not', () => {
    const before = parseGraph(hfMask(LOWEST));
    const after = parseGraph(run(hfMask(LOWEST)).text);
    const x = tensor('f32', [2, 2, 5, 5]);
    x.data.forEach((_, i) => (x.data[i] = Math.sin(i * 1.7) * 3));
    const want = interpret(before, new Map([['x', x]]), new Map()).get('y')!;
    const got = interpret(after, new Map([['x', x]]), new Map()).get('y')!;
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
    expect(optimize(before).graph.nodes.some((n) => n.op === 'where' && n.outputs[0].type.shape.length === 4)).toBe(false);
  });

  it('keeps a fill above the lowest f32 (-1e4, as older GPT-2 wrote), a mask below the diagonal, a float comparison and another axis', () => {
    // the integer not(le) still becomes gt; no additive -inf mask appears
    const kept = (text: string) => !run(text).text.includes('-inf') && run(text).text.includes('softmax(%');
    expect(kept(hfMask('-10000'))).toBe(true);
    expect(kept(hfMask(LOWEST, 'ge(%2, %1)'))).toBe(true);
    expect(kept(hfMask(LOWEST, 'le(%2, %1)', '{axis = 2}'))).toBe(true);
    expect(run(hfMask(LOWEST)).text).toContain('-inf');
    const floats = ir`
      graph @g {
        input %a : f32[4]
        input %b : f32[4]
        %0 = le(%a, %b) : bool[4]
        %1 = not(%0) : bool[4]
        output y = %1
      }`;
    expect(run(floats)).toEqual({ text: floats, changed: false });
  });
});
