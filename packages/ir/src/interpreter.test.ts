// The reference interpreter: symbols bind from input shapes (one graph, two sequence lengths),
// and every bad input, weight or binding fails with a message naming the tensor and the symbol.

import { describe, expect, it } from 'vitest';
import {
  type Graph, GraphBuilder, type Tensor, Var, input, interpret, interpretWithSymbols, nn, parseGraph, tensor,
} from './index.ts';

const f32 = (shape: number[], v?: number[]) => tensor('f32', shape, v ? Float32Array.from(v) : undefined);
const ramp = (shape: number[], from = 0) => f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => from + i));
const vals = (t: Tensor) => Array.from(t.data as ArrayLike<number>);

/** y = x + pe[:seq], a causal mask [seq, seq] and the sum of y over seq. */
function positional(): Graph {
  const b = new GraphBuilder('positional');
  const x = input(b, 'x', 'f32', ['batch', 'seq', 2]);
  const pe = new Var(b, b.param('pe', 'f32', [8, 2]));
  const y = x.add(pe.slice(0, 0, 'seq'));
  b.output('y', y.value);
  b.output('mask', nn.causalMask(b, 'seq').value);
  b.output('total', y.sum([1]).value);
  return b.graph;
}
const PE = ramp([8, 2], 100);

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return expect.fail('expected an error');
}

describe('symbols bind from input shapes', () => {
  const g = positional();

  it.each([[1, 2], [3, 5]])('batch %i, seq %i', (batch, seq) => {
    const x = ramp([batch, seq, 2]);
    const { outputs, symbols } = interpretWithSymbols(g, { x }, { pe: PE });
    expect(Object.fromEntries(symbols)).toEqual({ batch, seq });
    const y = outputs.get('y')!;
    expect(y.shape).toEqual([batch, seq, 2]);
    expect(vals(y)).toEqual(vals(x).map((v, i) => v + 100 + (i % (seq * 2))));
    const mask = outputs.get('mask')!;
    expect(mask.shape).toEqual([seq, seq]);
    expect(vals(mask)).toEqual(Array.from({ length: seq * seq }, (_, k) => (k % seq > Math.floor(k / seq) ? -Infinity : 0)));
    const total = outputs.get('total')!;
    expect(total.shape).toEqual([batch, 2]);
    expect(vals(total)[0]).toBe(Array.from({ length: seq }, (_, s) => 2 * s + 100 + 2 * s).reduce((a, v) => a + v, 0));
  });

  it('inputs and weights may be given as Maps', () => {
    const out = interpret(g, new Map([['x', ramp([1, 3, 2])]]), new Map([['pe', PE]]));
    expect(out.get('y')!.shape).toEqual([1, 3, 2]);
  });

  it('an output that is an input passes it through', () => {
    const x = ramp([2]);
    expect(interpret(parseGraph('graph @id {\n  input %x : f32[n]\n  output y = %x\n}\n'), { x }, {}).get('y')).toBe(x);
  });
});

const TWO = `graph @two {
  input %a : f32[seq, 4]
  input %b : f32[seq]
  param %w : f32[seq]
  %0 = reduce_sum(%a) {axes = [1], keepdims = false} : f32[seq]
  %1 = add(%0, %b) : f32[seq]
  %2 = add(%1, %w) : f32[seq]
  output y = %2
}
`;

describe('bad inputs and weights', () => {
  const g = positional();
  const x = ramp([1, 2, 2]);

  it.each([
    ['a conflicting symbol binding names the input and the symbol', () => interpret(parseGraph(TWO), { a: ramp([3, 4]), b: ramp([5]) }, { w: ramp([3]) }),
      'input "b": expected shape [seq], got [5] (seq is already 3)'],
    ['a weight conflicting with a symbol names the weight', () => interpret(parseGraph(TWO), { a: ramp([3, 4]), b: ramp([3]) }, { w: ramp([4]) }),
      'weight "w": expected shape [seq], got [4] (seq is already 3)'],
    ['missing input', () => interpret(g, {}, { pe: PE }), 'missing input "x": expected f32[batch, seq, 2]'],
    ['wrong dtype', () => interpret(g, { x: tensor('i32', [1, 2, 2]) }, { pe: PE }), 'input "x": expected dtype f32, got i32 [1, 2, 2]'],
    ['wrong rank', () => interpret(g, { x: ramp([2, 2]) }, { pe: PE }), 'input "x": expected shape [batch, seq, 2], got [2, 2]'],
    ['wrong fixed dim', () => interpret(g, { x: ramp([1, 2, 3]) }, { pe: PE }), 'input "x": expected shape [batch, seq, 2], got [1, 2, 3]'],
    ['missing weight', () => interpret(g, { x }, {}), 'missing weight "pe": expected f32[8, 2]'],
    ['wrong weight shape', () => interpret(g, { x }, { pe: ramp([2, 8]) }), 'weight "pe": expected shape [8, 2], got [2, 8]'],
    ['wrong weight dtype', () => interpret(g, { x }, { pe: tensor('f16', [8, 2]) }), 'weight "pe": expected dtype f32, got f16 [8, 2]'],
  ])('%s', (_name, run, message) => expect(errorOf(run)).toBe(message));
});

describe('run-time op failures name the op and its location', () => {
  const SLICE = `graph @pos {
  input %x : f32[seq, 2]
  param %pe : f32[8, 2]
  %0 = slice(%pe) {axis = 0, start = 0, size = seq} : f32[seq, 2]
  %1 = add(%x, %0) : f32[seq, 2]
  output y = %1
}
`;
  it('a symbol larger than the table it slices', () => {
    const g = parseGraph(SLICE);
    expect(errorOf(() => interpret(g, { x: ramp([9, 2]) }, { pe: PE }))).toBe('slice: slice: [0, 9) is out of range for dim 8 of [8, 2] (seq = 9)');
    g.nodes[0].loc = 'model.ts:3:9';
    expect(errorOf(() => interpret(g, { x: ramp([9, 2]) }, { pe: PE }))).toBe('slice (model.ts:3:9): slice: [0, 9) is out of range for dim 8 of [8, 2] (seq = 9)');
  });

  it('a symbol no input binds', () => {
    const g = parseGraph('graph @g {\n  %0 = iota() {shape = [n], axis = 0, dtype = i32} : i32[n]\n  output y = %0\n}\n');
    expect(errorOf(() => interpret(g, {}, {}))).toBe('iota: symbol n has no value: no input binds it');
  });

  it('an index out of range at run time', () => {
    const g = parseGraph('graph @g {\n  input %ids : i32[n]\n  param %table : f32[3, 2]\n  %0 = gather(%table, %ids) {axis = 0} : f32[n, 2]\n  output y = %0\n}\n');
    const ids = tensor('i32', [2], Int32Array.from([0, 3]));
    expect(errorOf(() => interpret(g, { ids }, { table: ramp([3, 2]) }))).toBe('gather: gather: index 3 at position 1 is out of range [0, 3)');
  });
});

describe('storage dtypes through elementwise ops', () => {
  it('where over i64 operands stores bigints', () => {
    const g = parseGraph('graph @g {\n  input %c : bool[3]\n  input %x : i64[3]\n  input %y : i64[3]\n  %0 = where(%c, %x, %y) : i64[3]\n  output o = %0\n}\n');
    const out = interpret(g, {
      c: tensor('bool', [3], Uint8Array.from([1, 0, 1])),
      x: tensor('i64', [3], BigInt64Array.from([1n, -2n, 3n ** 30n])),
      y: tensor('i64', [3], BigInt64Array.from([7n, -8n, 9n])),
    }, {}).get('o')!;
    expect(out.dtype).toBe('i64');
    expect(Array.from(out.data as BigInt64Array)).toEqual([1n, -8n, 3n ** 30n]);
  });
});
