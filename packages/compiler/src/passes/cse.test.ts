// cse: nodes with the same op, operands and attributes merge into the first; constants merge by
// value — IR text in, IR text out.

import { describe, expect, it } from 'vitest';
import { ir, runPassOnText } from '../test-util.ts';

const run = (text: string) => runPassOnText('cse', text);

/** cse then dce, as every phase runs them: cse leaves the merged duplicates for dce. */
function cse(text: string): { text: string; changed: boolean } {
  const out = run(text);
  return { text: runPassOnText('dce', out.text).text, changed: out.changed };
}

const DUPLICATE_PROJECTIONS = ir`
  graph @g {
    input %x : f32[batch, 8]
    param %w : f32[4, 8]
    param %b : f32[4]
    %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
    %1 = add(%0, %b) : f32[batch, 4]
    %2 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
    %3 = add(%2, %b) : f32[batch, 4]
    %4 = mul(%1, %3) : f32[batch, 4]
    output y = %4
  }`;

describe('cse', () => {
  it('merges a duplicate matmul, then the add that reads it', () => {
    expect(cse(DUPLICATE_PROJECTIONS)).toEqual({
      changed: true,
      text: ir`
        graph @g {
          input %x : f32[batch, 8]
          param %w : f32[4, 8]
          param %b : f32[4]
          %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
          %1 = add(%0, %b) : f32[batch, 4]
          %2 = mul(%1, %1) : f32[batch, 4]
          output y = %2
        }`,
    });
  });

  it('merges scalar constants of the same value and keeps different values apart', () => {
    const out = cse(ir`
      graph @g {
        input %x : f32[4]
        %0 = constant() {value = dense<f32[], 2>} : f32[]
        %1 = mul(%x, %0) : f32[4]
        %2 = constant() {value = dense<f32[], 2>} : f32[]
        %3 = add(%1, %2) : f32[4]
        %4 = constant() {value = dense<f32[], 3>} : f32[]
        %5 = sub(%3, %4) : f32[4]
        %6 = constant() {value = dense<i32[], 2>} : i32[]
        output y = %5
        output two = %6
      }`);
    expect(out.text).toBe(ir`
      graph @g {
        input %x : f32[4]
        %0 = constant() {value = dense<f32[], 2>} : f32[]
        %1 = mul(%x, %0) : f32[4]
        %2 = add(%1, %0) : f32[4]
        %3 = constant() {value = dense<f32[], 3>} : f32[]
        %4 = sub(%2, %3) : f32[4]
        %5 = constant() {value = dense<i32[], 2>} : i32[]
        output y = %4
        output two = %5
      }`);
  });

  it('keeps nodes with the same operands but different attributes apart', () => {
    const text = ir`
      graph @g {
        input %x : f32[8, 8]
        param %w : f32[8, 8]
        %0 = matmul(%x, %w) {transA = false, transB = false} : f32[8, 8]
        %1 = matmul(%x, %w) {transA = false, transB = true} : f32[8, 8]
        %2 = reduce_sum(%0) {axes = [0], keepdims = true} : f32[1, 8]
        %3 = reduce_sum(%1) {axes = [1], keepdims = true} : f32[8, 1]
        %4 = add(%2, %3) : f32[8, 8]
        output y = %4
      }`;
    expect(cse(text)).toEqual({ text, changed: false });
  });

  it('merges nodes whose attributes are equal whatever order the text lists them in', () => {
    // Both matmuls print the same; cse must not depend on the order the parser met the keys.
    const out = cse(ir`
      graph @g {
        input %x : f32[batch, 8]
        param %w : f32[4, 8]
        %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
        %1 = matmul(%x, %w) {transB = true, transA = false} : f32[batch, 4]
        %2 = add(%0, %1) : f32[batch, 4]
        output y = %2
      }`);
    expect(out).toEqual({
      changed: true,
      text: ir`
        graph @g {
          input %x : f32[batch, 8]
          param %w : f32[4, 8]
          %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
          %1 = add(%0, %0) : f32[batch, 4]
          output y = %1
        }`,
    });
  });

  it('changes nothing when no two nodes compute the same thing', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 8]
        param %w : f32[4, 8]
        %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
        %1 = relu(%0) : f32[batch, 4]
        %2 = tanh(%0) : f32[batch, 4]
        %3 = add(%1, %2) : f32[batch, 4]
        output y = %3
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => {
    const once = run(DUPLICATE_PROJECTIONS).text;
    expect(run(once)).toEqual({ text: once, changed: false });
  });
});
