// Printer and parser: round trips (text and JSON) of every attribute kind, quoted names and
// multi-result ops; exact `line L, col C` parser errors; a seeded fuzz run over mutated IR text.

import { describe, expect, it } from 'vitest';
import {
  type Graph, GraphBuilder, IRSyntaxError, type Tensor, Var,
  concat, constant, formatAttr, gather, graphFromJSON, graphToJSON, input, iota, layerNorm, matmul,
  parseGraph, printGraph, split, tensor, where,
} from './index.ts';
import { tokenize } from './lexer.ts';

const viaText = (g: Graph): string => printGraph(parseGraph(printGraph(g)));
const viaJSON = (g: Graph): string => printGraph(graphFromJSON(JSON.parse(JSON.stringify(graphToJSON(g)))));

const f32 = (shape: number[], v: number[]) => tensor('f32', shape, Float32Array.from(v));
const ramp = (n: number) => Array.from({ length: n }, (_, i) => i / 3 - 2);

const CONSTANTS: [string, Tensor, string][] = [
  ['f32 scalar', f32([], [0.125]), 'dense<f32[], 0.125>'],
  ['f32 list with specials', f32([5], [1.5, -Infinity, NaN, -0, 0.25]), 'dense<f32[5], [1.5, -inf, nan, -0, 0.25]>'],
  ['f32 empty', f32([0], []), 'dense<f32[0], []>'],
  ['f32 large (base64)', f32([4, 5], ramp(20)), 'dense<f32[4, 5], "base64:'],
  ['f16 (always base64)', tensor('f16', [2], Uint16Array.from([0x3c00, 0xfc00])), 'dense<f16[2], "base64:ADwA/A==">'],
  ['i64 (always base64)', tensor('i64', [2], BigInt64Array.from([-1n, 2n ** 40n])), 'dense<i64[2], "base64:'],
  ['i32 list', tensor('i32', [3], Int32Array.from([-2147483648, 0, 7])), 'dense<i32[3], [-2147483648, 0, 7]>'],
  ['u8 list', tensor('u8', [2], Uint8Array.from([0, 255])), 'dense<u8[2], [0, 255]>'],
  ['bool list', tensor('bool', [3], Uint8Array.from([1, 0, 1])), 'dense<bool[3], [1, 0, 1]>'],
  ['bool large (base64)', tensor('bool', [20], Uint8Array.from(ramp(20).map((x) => +(x > 0)))), 'dense<bool[20], "base64:'],
];

/** One graph using every attribute kind, symbols, quoted names and multi-result ops. */
function everyAttrGraph(): Graph {
  const b = new GraphBuilder('every attr');
  const x = input(b, 'x', 'f32', ['batch', 'seq', 8]);
  const ids = input(b, 'token ids', 'i32', ['batch', 'seq']);
  const param = (name: string, shape: number[]) => new Var(b, b.param(name, 'f32', shape));
  const [table, w, bias, proj, pbias] = [param('embed.weight', [16, 8]), param('norm.weight', [8]), param('norm.bias', [8]), param('proj w', [4, 8]), param('proj.b', [4])];
  const emb = gather(table, ids, 0);
  const h = x.add(emb).add(table.slice(0, 0, 'seq'));
  const [normed, sum] = b.emit('add_layer_norm', [h.value, emb.value, w.value, bias.value], { eps: 1e-5 }).map((v) => new Var(b, v));
  const heads = layerNorm(sum, w, bias, 1e-7).reshape(['batch', 'seq', 2, 4]).transpose([0, 2, 1, 3]);
  const [h0, h1] = split(heads, [1, 1], -3);
  const g = h0.cast('f16').cast('f32').gelu('tanh');
  const scores = matmul(g, h1, { transB: true });
  const mask = where(iota(b, ['seq', 'seq'], 1).gt(iota(b, ['seq', 'seq'], 0, 'i32')), -Infinity, 0);
  const [probs] = b.emit('scaled_masked_softmax', [scores.value, mask.value], { scale: 0.125 });
  const [att] = b.emit('attention', [h0.value, h1.value, h1.value, mask.value], { scale: 0.5, causal: true });
  const rows = sum.reshape(['batch', 'seq', 2, 4]);
  const [attRows] = b.emit('attention', [rows.value, rows.value, rows.value], { scale: 0.25, causal: false, layout: 'bshd' });
  const [lin] = b.emit('linear', [normed.value, proj.value, pbias.value], { transB: true, epilogue: 'gelu_tanh(add($0, $1))' });
  const [fused] = b.emit('fused_elementwise', [lin, constant(b, f32([], [2])).value], { expr: 'add(mul($0, $1), 0.5)' });
  const consts = CONSTANTS.map(([, t]) => constant(b, t));
  b.output('probs', probs);
  b.output('with space', new Var(b, fused).sum([-1, 0], true).value);
  b.output('inf', normed.argmax(-1).value);
  b.output('true', att);
  b.output('bshd', attRows);
  b.output('concat', concat([consts[3], consts[3]], 0).value);
  return b.graph;
}

describe('round trip', () => {
  const g = everyAttrGraph();
  const text = printGraph(g);

  it('prints every attribute kind', () => {
    for (const piece of [
      'graph @"every attr" {', 'input %"token ids" : i32[batch, seq]', 'param %"proj w" : f32[4, 8]', 'param %embed.weight : f32[16, 8]',
      '{axis = 0, start = 0, size = seq}', '{shape = [batch, seq, 2, 4]}', '{perm = [0, 2, 1, 3]}', '{to = f16}', '{approximate = "tanh"}',
      '{eps = 0.00001}', '{eps = 1e-7}', '{transA = false, transB = true}', '{scale = 0.5, causal = true}', '{scale = 0.25, causal = false, layout = "bshd"} : f32[batch, seq, 2, 4]', '{shape = [seq, seq], axis = 1, dtype = i32}',
      '{transB = true, epilogue = "gelu_tanh(add($0, $1))"}', '{expr = "add(mul($0, $1), 0.5)"}',
      '{axes = [-1, 0], keepdims = true}', 'output "with space" = ', 'output "inf" = ', 'output true = ',
      ...CONSTANTS.map(([, , lit]) => lit),
    ]) expect(text).toContain(piece);
    expect(text).toMatch(/%\d+, %\d+ = split\(%\d+\) \{axis = -3, sizes = \[1, 1\]\} : f32\[batch, 1, seq, 4\], f32\[batch, 1, seq, 4\]/);
    expect(text).toMatch(/%\d+, %\d+ = add_layer_norm\(/);
  });

  it('parse(print(g)) prints identically', () => expect(viaText(g)).toBe(text));
  it('the JSON form prints identically', () => expect(viaJSON(g)).toBe(text));

  it('leaves a defaulted attribute out of text and JSON, and reads it back as the default', () => {
    const attentions = graphToJSON(g).nodes.filter((n) => n.op === 'attention');
    expect(attentions.map((n) => n.attrs.layout)).toEqual([undefined, 'bshd']);
    const parsed = parseGraph(text).nodes.filter((n) => n.op === 'attention');
    expect(parsed.map((n) => (n.attrs as { layout?: string }).layout)).toEqual(['bhsd', 'bshd']);
    expect(() => parseGraph(text.replace('layout = "bshd"', 'layout = "hbsd"'))).toThrow(/attribute layout must be one of bhsd\|bshd/);
  });

  it.each(CONSTANTS)('constant %s keeps its bits', (_name, t) => {
    const b = new GraphBuilder('c');
    b.output('c', constant(b, t).value);
    for (const back of [parseGraph(printGraph(b.graph)), graphFromJSON(JSON.parse(JSON.stringify(graphToJSON(b.graph))))]) {
      const v = (back.nodes[0] as { attrs: { value: Tensor } }).attrs.value;
      expect([v.dtype, v.shape]).toEqual([t.dtype, t.shape]);
      expect(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength)).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  });
});

describe('float attributes', () => {
  it.each([
    ['-inf', -Infinity], ['inf', Infinity], ['nan', NaN], ['-0', -0], ['0.00001', 1e-5], ['1e-7', 1e-7], ['0.1', 0.1], ['1e+21', 1e21], ['-2.5', -2.5],
  ])('scale = %s survives text and JSON', (printed, value) => {
    const b = new GraphBuilder('f');
    const [y] = b.emit('scaled_masked_softmax', [input(b, 'x', 'f32', [2]).value], { scale: value });
    b.output('y', y);
    const text = printGraph(b.graph);
    expect(text).toContain(`{scale = ${printed}}`);
    const scaleOf = (g: Graph) => (g.nodes[0].attrs as { scale: number }).scale;
    expect(Object.is(scaleOf(parseGraph(text)), value)).toBe(true);
    expect(viaText(b.graph)).toBe(text);
    expect(viaJSON(b.graph)).toBe(text);
  });
});

describe('names', () => {
  it.each([
    ['with space', '"with space"'], ['quote"d', '"quote\\"d"'], ['back`tick', '"back`tick"'], ['${x}', '"${x}"'], ['end*/', '"end*/"'],
    ['new\nline', '"new\\nline"'], ['tab\there', '"tab\\there"'], ['ünïcødé ✓', '"ünïcødé ✓"'], ['inf', '"inf"'], ['nan', '"nan"'],
    ['0', '"0"'], ['-1', '"-1"'], ['back\\slash', '"back\\\\slash"'], ['encoder.layers.0.weight', 'encoder.layers.0.weight'],
  ])('%j is spelled %s and round-trips as graph, input, param and output name', (name, spelled) => {
    const b = new GraphBuilder(name);
    const x = input(b, name, 'f32', [2]);
    const p = new Var(b, b.param(`${name}.w`, 'f32', [2]));
    b.output(name, x.add(p).value);
    const text = printGraph(b.graph);
    expect(text).toContain(`graph @${spelled} {`);
    expect(text).toContain(`input %${spelled} : f32[2]`);
    expect(text).toContain(`output ${spelled} = %0`);
    expect(viaText(b.graph)).toBe(text);
    expect(viaJSON(b.graph)).toBe(text);
    expect(parseGraph(text).inputs[0].name).toBe(name);
  });

  it.each(['say "hi"\n', 'ünïcødé ✓ \u2028', '\\', 'lone \ud800', '${a}`*/'])('string literal %j survives the lexer', (s) => {
    const [tok] = tokenize(formatAttr({ kind: 'string' }, s));
    expect(tok).toMatchObject({ kind: 'string', text: s, line: 1, col: 1 });
  });
});

const doc = (...body: string[]) => ['graph @g {', '  input %x : f32[2, 3]', ...body, '}'].join('\n') + '\n';

describe('parser errors', () => {
  it.each([
    ['unknown op', doc('  %0 = softmux(%x) {axis = -1} : f32[2, 3]'), 'line 3, col 8: unknown op "softmux"'],
    ['unknown attribute', doc('  %0 = softmax(%x) {axis = -1, bias = 2} : f32[2, 3]'), 'line 3, col 32: softmax has no attribute "bias"'],
    ['unknown attribute named like an Object member', doc('  %0 = softmax(%x) {axis = -1, constructor = 2} : f32[2, 3]'), 'line 3, col 32: softmax has no attribute "constructor"'],
    ['attribute given twice', doc('  %0 = softmax(%x) {axis = -1, axis = 0} : f32[2, 3]'), 'line 3, col 32: attribute "axis" is given twice'],
    ['missing attribute', doc('  %0 = softmax(%x) : f32[2, 3]'), 'line 3, col 8: softmax is missing attribute(s) axis'],
    ['bad attribute value', doc('  %0 = softmax(%x) {axis = 1.5} : f32[2, 3]'), 'line 3, col 21: softmax: attribute axis must be an integer, got 1.5'],
    ['bad expression attribute', doc('  %0 = fused_elementwise(%x) {expr = "neg($0"} : f32[2, 3]'), 'line 3, col 31: fused_elementwise: attribute expr must be an expression (expression "neg($0": expected "," or ")" at offset 7), got "neg($0"'],
    ['use before def', doc('  %0 = softmax(%1) {axis = -1} : f32[2, 3]', '  %1 = neg(%x) : f32[2, 3]'), 'line 3, col 16: %1 is used before it is defined'],
    ['redefinition', doc('  %x = softmax(%x) {axis = -1} : f32[2, 3]'), 'line 3, col 3: %x is defined twice'],
    ['wrong operand count', doc('  %0 = softmax(%x, %x) {axis = -1} : f32[2, 3]'), 'line 3, col 8: softmax takes 1 operands, got 2'],
    ['result type disagrees with the rule', doc('  %0 = softmax(%x) {axis = -1} : f32[3, 2]'), 'line 3, col 8: softmax results are written f32[3, 2] but its rule gives f32[2, 3]'],
    ['fewer result types than results', doc('  %0, %1 = split(%x) {axis = 0, sizes = [1, 1]} : f32[1, 3]'), 'line 3, col 12: split results are written f32[1, 3] but its rule gives f32[1, 3], f32[1, 3]'],
    ['the shape rule fails', doc('  %0 = softmax(%x) {axis = 2} : f32[2, 3]'), 'line 3, col 8: softmax: axis 2 is out of range for rank 2'],
    ['bad dtype', doc('  input %y : f33[2, 3]'), 'line 3, col 14: unknown dtype "f33"'],
    ['bad dim', doc('  input %y : f32[2, 1.5]'), 'line 3, col 21: shape: dim 1.5 is not a non-negative integer'],
    ['i64 dense literal as a list', doc('  %0 = constant() {value = dense<i64[1], [3]>} : i64[1]'), 'line 3, col 34: dense i64 needs a base64 payload'],
    ['unterminated string', doc('  output "y = %x'), 'line 3, col 10: unterminated string'],
    ['garbage character', doc('  %0 = softmax(%x) $ : f32[2, 3]'), 'line 3, col 20: unexpected character "$"'],
    ['missing closing brace', 'graph @g {\n  input %x : f32[2]\n', 'line 3, col 1: expected value, got end of input'],
  ])('%s', (_name, text, message) => {
    let err: unknown;
    try {
      parseGraph(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IRSyntaxError);
    expect((err as Error).message).toBe(message);
  });
});

/** mulberry32: a tiny seeded PRNG, so a failing mutation is reproducible from its trial number. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '%@"{}[](),=:<>\n -.0123456789abefinrstxz_\\$';

function mutate(text: string, rand: () => number): string {
  const at = (n: number) => Math.floor(rand() * n);
  let s = text;
  for (let k = 1 + at(3); k > 0 && s.length > 0; k--) {
    const i = at(s.length);
    switch (at(5)) {
      case 0: s = s.slice(0, i) + s.slice(i + 1); break;
      case 1: s = s.slice(0, i) + ALPHABET[at(ALPHABET.length)] + s.slice(i); break;
      case 2: s = i + 1 < s.length ? s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2) : s; break;
      case 3: s = s.slice(0, i); break;
      default: s = s.slice(0, i) + ALPHABET[at(ALPHABET.length)] + s.slice(i + 1); break;
    }
  }
  return s;
}

describe('fuzz', () => {
  it('2000 seeded mutations each parse or throw IRSyntaxError', () => {
    const base = printGraph(everyAttrGraph());
    const rand = mulberry32(0x5eed);
    const failures: string[] = [];
    let parsed = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const text = mutate(base, rand);
      try {
        parseGraph(text);
        parsed++;
      } catch (e) {
        if (!(e instanceof IRSyntaxError)) failures.push(`trial ${trial}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(parsed).toBeGreaterThan(0);
  }, 30_000);
});
