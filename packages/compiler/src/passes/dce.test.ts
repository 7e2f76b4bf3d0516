// dce: nodes whose results nobody reads are dropped; outputs, inputs and parameters stay — IR text
// in, IR text out.

import { describe, expect, it } from 'vitest';
import { ir, runPassOnText } from '../test-util.ts';

const run = (text: string) => runPassOnText('dce', text);

const DEAD_CHAIN = ir`
  graph @g {
    input %x : f32[batch, 8]
    input %unused : f32[batch, 8]
    param %w : f32[4, 8]
    param %spare : f32[4]
    %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
    %1 = exp(%x) : f32[batch, 8]
    %2 = tanh(%1) : f32[batch, 8]
    %3 = reduce_sum(%2) {axes = [1], keepdims = false} : f32[batch]
    %4 = relu(%0) : f32[batch, 4]
    output y = %4
    output logits = %0
  }`;

describe('dce', () => {
  it('drops a dead chain and keeps outputs, inputs and parameters', () => {
    expect(run(DEAD_CHAIN)).toEqual({
      changed: true,
      text: ir`
        graph @g {
          input %x : f32[batch, 8]
          input %unused : f32[batch, 8]
          param %w : f32[4, 8]
          param %spare : f32[4]
          %0 = matmul(%x, %w) {transA = false, transB = true} : f32[batch, 4]
          %1 = relu(%0) : f32[batch, 4]
          output y = %1
          output logits = %0
        }`,
    });
  });

  it('keeps a multi-result node when any of its results is read', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 12]
        %0, %1, %2 = split(%x) {axis = 1, sizes = [4, 4, 4]} : f32[batch, 4], f32[batch, 4], f32[batch, 4]
        output mid = %1
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });

  it('changes nothing when every node is live, and running twice equals running once', () => {
    const text = ir`
      graph @g {
        input %x : f32[batch, 8]
        %0 = exp(%x) : f32[batch, 8]
        %1 = add(%0, %x) : f32[batch, 8]
        output y = %1
      }`;
    expect(run(text)).toEqual({ text, changed: false });
    const once = run(DEAD_CHAIN).text;
    expect(run(once)).toEqual({ text: once, changed: false });
  });
});
