// canonicalize: identities, movement chains, transposes into matmul flags — IR text in, IR text out.

import { describe, expect, it } from 'vitest';
import { ir, runPassOnText } from '../test-util.ts';

const run = (text: string) => runPassOnText('canonicalize', text);

describe('canonicalize', () => {
  it('drops x * 1 and x + 0 and moves constants right', () => {
    const out = run(ir`
      graph @g {
        input %x : f32[batch, 4]
        %0 = constant() {value = dense<f32[], 1>} : f32[]
        %1 = mul(%0, %x) : f32[batch, 4]
        %2 = constant() {value = dense<f32[], 0>} : f32[]
        %3 = add(%1, %2) : f32[batch, 4]
        %4 = exp(%3) : f32[batch, 4]
        output y = %4
      }`);
    expect(out.changed).toBe(true);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[batch, 4]
        %0 = exp(%x) : f32[batch, 4]
        output y = %0
      }`);
  });

  it('keeps x + 0 when the zero broadcasts x to a larger shape', () => {
    const text = ir`
      graph @g {
        input %x : f32[4]
        %0 = constant() {value = dense<f32[2, 4], [0, 0, 0, 0, 0, 0, 0, 0]>} : f32[2, 4]
        %1 = add(%x, %0) : f32[2, 4]
        output y = %1
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });

  it('folds transposes of the last two axes into matmul flags', () => {
    const out = run(ir`
      graph @g {
        input %a : f32[batch, 8, 3]
        input %b : f32[5, 8]
        %0 = transpose(%a) {perm = [0, 2, 1]} : f32[batch, 3, 8]
        %1 = transpose(%b) {perm = [1, 0]} : f32[8, 5]
        %2 = matmul(%0, %1) {transA = false, transB = false} : f32[batch, 3, 5]
        output y = %2
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %a : f32[batch, 8, 3]
        input %b : f32[5, 8]
        %0 = matmul(%a, %b) {transA = true, transB = true} : f32[batch, 3, 5]
        output y = %0
      }`);
  });

  it('writes a transpose that moves only axes of size 1 as a reshape (a view); one that moves a longer axis stays', () => {
    const out = run(ir`
      graph @g {
        input %x : f32[batch, 1, 4, 16]
        input %y : f32[batch, 2, 4, 16]
        %0 = transpose(%x) {perm = [0, 2, 1, 3]} : f32[batch, 4, 1, 16]
        %1 = transpose(%y) {perm = [0, 2, 1, 3]} : f32[batch, 4, 2, 16]
        output a = %0
        output b = %1
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[batch, 1, 4, 16]
        input %y : f32[batch, 2, 4, 16]
        %0 = reshape(%x) {shape = [batch, 4, 1, 16]} : f32[batch, 4, 1, 16]
        %1 = transpose(%y) {perm = [0, 2, 1, 3]} : f32[batch, 4, 2, 16]
        output a = %0
        output b = %1
      }`);
  });

  it('collapses reshape and transpose chains and drops identities', () => {
    const out = run(ir`
      graph @g {
        input %x : f32[batch, 6, 4]
        %0 = reshape(%x) {shape = [batch, 24]} : f32[batch, 24]
        %1 = reshape(%0) {shape = [batch, 4, 6]} : f32[batch, 4, 6]
        %2 = transpose(%1) {perm = [2, 0, 1]} : f32[6, batch, 4]
        %3 = transpose(%2) {perm = [1, 2, 0]} : f32[batch, 4, 6]
        %4 = reshape(%3) {shape = [batch, 4, 6]} : f32[batch, 4, 6]
        %5 = cast(%4) {to = f32} : f32[batch, 4, 6]
        output y = %5
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[batch, 6, 4]
        %0 = reshape(%x) {shape = [batch, 4, 6]} : f32[batch, 4, 6]
        output y = %0
      }`);
  });

  it('changes nothing on a canonical graph, and running twice equals running once', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 4]
        %0 = constant() {value = dense<f32[], 2>} : f32[]
        %1 = mul(%x, %0) : f32[batch, 4]
        output y = %1
      }`;
    expect(run(text)).toEqual({ text, changed: false });
    const once = run(ir`
      graph @g {
        input %x : f32[batch, 4]
        %0 = constant() {value = dense<f32[], 2>} : f32[]
        %1 = mul(%0, %x) : f32[batch, 4]
        %2 = transpose(%1) {perm = [0, 1]} : f32[batch, 4]
        output y = %2
      }`).text;
    expect(run(once)).toEqual({ text: once, changed: false });
  });

  it('writes attention as exporters do (q / c, kᵀ from a 3-axis transpose) in the DSL form: matmul(q, k, transB) * (1/c)', () => {
    const out = run(ir`
      graph @g {
        input %q : f32[h, seq, 8]
        input %k : f32[seq, h, 8]
        %0 = constant() {value = dense<f32[], 2>} : f32[]
        %1 = div(%q, %0) : f32[h, seq, 8]
        %2 = transpose(%k) {perm = [1, 2, 0]} : f32[h, 8, seq]
        %3 = matmul(%1, %2) {transA = false, transB = false} : f32[h, seq, seq]
        output y = %3
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %q : f32[h, seq, 8]
        input %k : f32[seq, h, 8]
        %0 = constant() {value = dense<f32[], 0.5>} : f32[]
        %1 = transpose(%k) {perm = [1, 0, 2]} : f32[h, seq, 8]
        %2 = matmul(%q, %1) {transA = false, transB = true} : f32[h, seq, seq]
        %3 = mul(%2, %0) : f32[h, seq, seq]
        output y = %3
      }`);
    expect(run(out.text)).toEqual({ text: out.text, changed: false });
  });

  it('keeps a division by zero, by a non-scalar and a scale read twice', () => {
    const text = ir`
      graph @g {
        input %x : f32[4, 4]
        %0 = constant() {value = dense<f32[], 0>} : f32[]
        %1 = div(%x, %0) : f32[4, 4]
        %2 = constant() {value = dense<f32[], 3>} : f32[]
        %3 = mul(%x, %2) : f32[4, 4]
        %4 = matmul(%3, %1) {transA = false, transB = false} : f32[4, 4]
        %5 = add(%4, %3) : f32[4, 4]
        output y = %5
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });
});

describe('canonicalize: expand', () => {
  it('drops an expand its broadcasting reader does not need, and an expand to its own shape', () => {
    const out = run(ir`
      graph @g {
        input %x : f32[batch, 1, 4]
        input %r : f32[3, 4]
        %0 = expand(%x) {shape = [batch, 3, 4]} : f32[batch, 3, 4]
        %1 = add(%0, %r) : f32[batch, 3, 4]
        %2 = expand(%1) {shape = [batch, 3, 4]} : f32[batch, 3, 4]
        output y = %2
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[batch, 1, 4]
        input %r : f32[3, 4]
        %0 = add(%x, %r) : f32[batch, 3, 4]
        output y = %0
      }`);
  });

  it('keeps an expand whose reader would not broadcast to its shape', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 1, 4]
        %0 = expand(%x) {shape = [batch, 3, 4]} : f32[batch, 3, 4]
        %1 = constant() {value = dense<f32[], 2>} : f32[]
        %2 = mul(%0, %1) : f32[batch, 3, 4]
        %3 = exp(%0) : f32[batch, 3, 4]
        output y = %2
        output z = %3
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });
});
