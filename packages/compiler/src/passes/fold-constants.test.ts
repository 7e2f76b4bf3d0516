// fold-constants: constant subgraphs with known shapes become one constant (the positional table, a
// fixed-length causal mask); symbolic shapes stay — IR text in, IR text out.

import { describe, expect, it } from 'vitest';
import { type Node, interpret, parseGraph } from '@smelt/ir';
import { ir, runPassOnText } from '../test-util.ts';

const run = (text: string) => runPassOnText('fold-constants', text);

/** fold-constants then dce, as the simplify phase runs them: folding leaves the replaced nodes for dce. */
function fold(text: string): { text: string; changed: boolean } {
  const out = run(text);
  return { text: runPassOnText('dce', out.text).text, changed: out.changed };
}

/** nn.PositionalEncoding(maxLen 6, dModel 4) written out: PE[p, 2i] = sin(p·e^(−2i·ln(10⁴)/d)), PE[p, 2i+1] = cos(…). */
const PE_TABLE = ir`
  graph @pe {
    %0 = iota() {shape = [6, 2], axis = 0, dtype = f32} : f32[6, 2]
    %1 = iota() {shape = [6, 2], axis = 1, dtype = f32} : f32[6, 2]
    %2 = constant() {value = dense<f32[], -4.605170249938965>} : f32[]
    %3 = mul(%1, %2) : f32[6, 2]
    %4 = exp(%3) : f32[6, 2]
    %5 = mul(%0, %4) : f32[6, 2]
    %6 = sin(%5) : f32[6, 2]
    %7 = reshape(%6) {shape = [6, 2, 1]} : f32[6, 2, 1]
    %8 = cos(%5) : f32[6, 2]
    %9 = reshape(%8) {shape = [6, 2, 1]} : f32[6, 2, 1]
    %10 = concat(%7, %9) {axis = 2} : f32[6, 2, 2]
    %11 = reshape(%10) {shape = [6, 4]} : f32[6, 4]
    output pe = %11
  }`;

const causalMask = (len: number | string) => ir`
  graph @mask {
    %0 = iota() {shape = [${len}, ${len}], axis = 0, dtype = i32} : i32[${len}, ${len}]
    %1 = iota() {shape = [${len}, ${len}], axis = 1, dtype = i32} : i32[${len}, ${len}]
    %2 = gt(%1, %0) : bool[${len}, ${len}]
    %3 = constant() {value = dense<f32[], -inf>} : f32[]
    %4 = constant() {value = dense<f32[], 0>} : f32[]
    %5 = where(%2, %3, %4) : f32[${len}, ${len}]
    output mask = %5
  }`;

describe('fold-constants', () => {
  it('folds the positional table chain to one constant holding the unfolded values', () => {
    const out = fold(PE_TABLE);
    expect(out.changed).toBe(true);
    const g = parseGraph(out.text);
    expect(g.nodes.map((n) => n.op)).toEqual(['constant']);
    const folded = (g.nodes[0] as Node<'constant'>).attrs.value;
    const reference = interpret(parseGraph(PE_TABLE), {}, {}).get('pe')!;
    expect(folded.shape).toEqual([6, 4]);
    expect(folded.data).toEqual(reference.data);
    // Row p = 1: sin(1), cos(1), sin(1e-2), cos(1e-2).
    [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)].forEach((x, i) => expect(folded.data[4 + i]).toBeCloseTo(x, 6));
  });

  it('leaves an iota with a symbolic shape alone', () => {
    const text = ir`
      graph @g {
        input %x : f32[len, 2]
        %0 = iota() {shape = [len, 2], axis = 0, dtype = f32} : f32[len, 2]
        %1 = constant() {value = dense<f32[], 0.5>} : f32[]
        %2 = mul(%0, %1) : f32[len, 2]
        %3 = add(%x, %2) : f32[len, 2]
        output y = %3
      }`;
    expect(fold(text)).toEqual({ text, changed: false });
  });

  it('folds a causal mask of known length 4 to a constant', () => {
    const out = fold(causalMask(4));
    expect(out).toEqual({
      changed: true,
      text: ir`
        graph @mask {
          %0 = constant() {value = dense<f32[4, 4], [0, -inf, -inf, -inf, 0, 0, -inf, -inf, 0, 0, 0, -inf, 0, 0, 0, 0]>} : f32[4, 4]
          output mask = %0
        }`,
    });
  });

  it('keeps a causal mask of symbolic length for the attention fusion to read', () => {
    const text = causalMask('len');
    expect(fold(text)).toEqual({ text, changed: false });
  });

  it('changes nothing when every operand depends on an input', () => {
    const text = ir`
      graph @g {
        input %x : f32[2, 4]
        %0 = constant() {value = dense<f32[], 2>} : f32[]
        %1 = mul(%x, %0) : f32[2, 4]
        %2 = exp(%1) : f32[2, 4]
        output y = %2
      }`;
    expect(run(text)).toEqual({ text, changed: false });
  });

  it('running twice equals running once', () => {
    const mask = run(causalMask(4)).text;
    expect(run(mask)).toEqual({ text: mask, changed: false });
    const table = run(PE_TABLE).text;
    expect(run(table)).toEqual({ text: table, changed: false });
  });
});
