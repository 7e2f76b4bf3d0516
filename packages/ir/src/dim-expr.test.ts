// Computed dims: one canonical text per polynomial, arithmetic, proofs, evaluation and binding,
// and their round trip through the IR text and JSON.

import { describe, expect, it } from 'vitest';
import {
  GraphBuilder, bindShape, canonicalDim, concat, dimAdd, dimAtMost, dimDivExact, dimMul, dimSub, dimSymbols, dimTerms,
  evalDim, graphFromJSON, graphToJSON, input, interpret, parseGraph, printGraph, sameElementCount, tensor,
} from './index.ts';

describe('canonical form', () => {
  it.each([
    ['past+1', 'past + 1'],
    ['1 + past', 'past + 1'],
    ['seq*2', '2 * seq'],
    ['heads * seq - 1 + 0', 'heads * seq - 1'],
    ['(a + b) * 2 - b', '2 * a + b'],
    ['5 - n', '-n + 5'],
    ['(4 * n + 8) / 4', 'n + 2'],
    ['n * m', 'm * n'],
    ['a + b - a', 'b'],
    ['n - n + 3', 3],
  ])('%s is %s', (text, want) => {
    expect(canonicalDim(text)).toBe(want);
  });

  it('names what is wrong with bad text', () => {
    expect(() => canonicalDim('n +')).toThrow('dim "n +" is not an expression over symbols: it ends early');
    expect(() => canonicalDim('n / m')).toThrow('a divisor must be an integer');
    expect(() => canonicalDim('(2 * n + 1) / 2')).toThrow('cannot divide "(2 * n + 1) / 2" by 2 exactly');
    expect(() => canonicalDim('n - n - 1')).toThrow('dim -1 is negative');
    expect(() => canonicalDim('n % 2')).toThrow('unexpected "%"');
  });

  it('computes: equal expressions are equal strings', () => {
    expect(dimAdd('past', 1)).toBe('past + 1');
    expect(dimAdd(dimAdd('past', 1), dimSub('a', 'a'))).toBe(canonicalDim('1 + past'));
    expect(dimMul('heads', dimAdd('seq', 1))).toBe('heads * seq + heads');
    expect(dimDivExact('2 * seq + 4', 2)).toBe('seq + 2');
    expect(dimSub(7, 3)).toBe(4);
    expect(dimSymbols('heads * seq + past')).toEqual(['heads', 'past', 'seq']);
  });

  it('proves or leaves open a <= b', () => {
    expect(dimAtMost('past + 1', 'past + 2')).toBe(true);
    expect(dimAtMost('seq + 1', 'seq')).toBe(false);
    expect(dimAtMost('n', 'm')).toBeUndefined();
    expect(dimAtMost(3, 'n + 3')).toBe(true);
  });

  it('evaluates, and names a dim that comes out negative', () => {
    const env = new Map([['n', 4], ['m', 3]]);
    expect(evalDim('m * n - n + 2', (s) => env.get(s))).toBe(10);
    expect(() => evalDim('m - n', (s) => env.get(s))).toThrow('dim m - n is -1 for m = 3, n = 4: a size cannot be negative');
    expect(() => evalDim('k + 1', (s) => env.get(s))).toThrow('symbol k has no value');
    expect(dimTerms('2 * m * n + n - 1', ['n', 'm'])).toEqual([[2, 1, 0], [1, 0], [-1]]);
  });
});

describe('shapes with computed dims', () => {
  it('reshape proves element counts as products of polynomials', () => {
    expect(sameElementCount(['batch', 'past + 1', 8], ['batch', 2, 'past + 1', 4])).toBe(true);
    expect(sameElementCount(['n + 1', 'n + 1'], ['n * n + 2 * n + 1'])).toBe(true);
    expect(sameElementCount(['n', 'm'], ['n + m'])).toBe(false);
  });

  it('bindShape checks a computed dim, or solves it for its one unknown', () => {
    const env = new Map<string, number>();
    bindShape('cache', ['batch', 'past + 1'], [2, 5], env);
    expect(env).toEqual(new Map([['batch', 2], ['past', 4]]));
    bindShape('k', ['past', 'past + 1'], [4, 5], env);
    expect(() => bindShape('v', ['batch', 'past + 2'], [2, 5], env)).toThrow('input "v": expected shape [batch, past + 2], got [2, 5] (past + 2 is 6)');
    expect(() => bindShape('w', ['2 * q'], [5], new Map())).toThrow('input "w": expected shape [2 * q], got [5] (no size q makes 2 * q equal 5)');
    expect(() => bindShape('w', ['m * n'], [6], new Map())).toThrow('(m * n cannot be worked out from the other dims)');
  });
});

describe('computed dims in graphs', () => {
  function kvGraph() {
    const b = new GraphBuilder('kv_step');
    const cache = input(b, 'cache', 'f32', ['batch', 'past', 4]);
    const step = input(b, 'step', 'f32', ['batch', 1, 4]);
    const grown = concat([cache, step], 1);
    b.output('grown', grown.value);
    b.output('last', grown.slice(1, 'past', 1).mul(2).value);
    b.output('flat', grown.reshape(['batch', '4 * past + 4']).value);
    return b.graph;
  }

  it('print as text and parse back; JSON too', () => {
    const g = kvGraph();
    const text = printGraph(g);
    expect(text).toContain('%0 = concat(%cache, %step) {axis = 1} : f32[batch, past + 1, 4]');
    expect(text).toContain('%1 = slice(%0) {axis = 1, start = past, size = 1} : f32[batch, 1, 4]');
    expect(text).toContain('reshape(%0) {shape = [batch, 4 * past + 4]} : f32[batch, 4 * past + 4]');
    expect(printGraph(parseGraph(text))).toBe(text);
    expect(printGraph(graphFromJSON(graphToJSON(g)))).toBe(text);
  });

  it('parses hand-written expressions into canonical form, and rejects a written type the rule disagrees with', () => {
    const text = [
      'graph @g {',
      '  input %x : f32[n, 3]',
      '  %0 = slice(%x) {axis = 0, start = 1, size = -1+n} : f32[(n - 1) * 1, 3]',
      '  output y = %0',
      '}',
    ].join('\n');
    expect(printGraph(parseGraph(text))).toContain('%0 = slice(%x) {axis = 0, start = 1, size = n - 1} : f32[n - 1, 3]');
    expect(() => parseGraph(text.replace('f32[(n - 1) * 1, 3]', 'f32[n - 2, 3]'))).toThrow('slice results are written f32[n - 2, 3] but its rule gives f32[n - 1, 3]');
    expect(() => parseGraph(text.replace('size = -1+n', 'size = n +'))).toThrow(/line 3, col \d+: dim "n \+" is not an expression over symbols/);
  });

  it('interpret at several lengths', () => {
    const g = kvGraph();
    for (const past of [0, 3]) {
      const cache = tensor('f32', [2, past, 4], Float32Array.from({ length: 8 * past }, (_, i) => i));
      const step = tensor('f32', [2, 1, 4], Float32Array.from({ length: 8 }, (_, i) => 100 + i));
      const out = interpret(g, new Map([['cache', cache], ['step', step]]), new Map());
      expect(out.get('grown')!.shape).toEqual([2, past + 1, 4]);
      expect([...out.get('last')!.data]).toEqual([100, 101, 102, 103, 104, 105, 106, 107].map((v) => 2 * v));
      expect(out.get('flat')!.shape).toEqual([2, 4 * past + 4]);
    }
  });

  it('a DSL slice provably past the end is a build error naming the caller', () => {
    const b = new GraphBuilder('bad');
    const x = input(b, 'x', 'f32', ['n', 4]);
    expect(() => x.slice(0, 'n', 1)).toThrow(/dim-expr\.test\.ts:\d+:\d+: slice\(f32\[n, 4\]\): \[n, n \+ 1\) is out of range for dim n of f32\[n, 4\]/);
  });
});
