// Shape rules through the DSL: inferred types keep symbols, and a bad call throws a ShapeError
// `file:line:col: op(operand types): reason` located at the user's line (also from inside nn layers).

import { describe, expect, it } from 'vitest';
import {
  type DType, GraphBuilder, type Shape, ShapeError, type Var,
  concat, formatType, gather, input, iota, layerNorm, matmul, nn, split, where,
} from './index.ts';

const HERE = 'packages/ir/src/shapes.test.ts';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Declare = (dtype: DType, shape: Shape) => Var;

/** A fresh builder and a helper that declares inputs in0, in1, … */
function fresh(): { b: GraphBuilder; x: Declare } {
  const b = new GraphBuilder('shapes');
  let n = 0;
  return { b, x: (dtype, shape) => input(b, `in${n++}`, dtype, shape) };
}

function shapeError(f: () => unknown): ShapeError {
  try {
    f();
  } catch (e) {
    if (e instanceof ShapeError) return e;
    throw e;
  }
  return expect.fail('expected a ShapeError');
}

/** The line of the statement that called this function. */
function callerLine(): number {
  const frame = new Error().stack!.split('\n')[2];
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}

const GOOD: [string, (x: Declare, b: GraphBuilder) => Var | Var[], string][] = [
  ['add keeps symbols and broadcasts a bias', (x) => x('f32', ['batch', 'seq', 64]).add(x('f32', [64])), 'f32[batch, seq, 64]'],
  ['add broadcasts 1 against symbols', (x) => x('f32', ['batch', 1, 64]).add(x('f32', ['seq', 1])), 'f32[batch, seq, 64]'],
  ['a number operand takes the tensor dtype', (x) => x('i32', ['n']).add(1), 'i32[n]'],
  ['comparison gives bool', (x) => x('f32', ['seq']).lt(x('f32', [])), 'bool[seq]'],
  ['where with two numbers is f32', (x) => where(x('bool', ['seq', 'seq']), -Infinity, 0), 'f32[seq, seq]'],
  ['matmul with symbolic batch', (x) => x('f32', ['batch', 'seq', 64]).matmul(x('f32', [64, 32])), 'f32[batch, seq, 32]'],
  ['matmul q kᵀ per head', (x) => matmul(x('f32', ['batch', 4, 'seq', 16]), x('f32', ['batch', 4, 'seq', 16]), { transB: true }), 'f32[batch, 4, seq, seq]'],
  ['matmul transA', (x) => matmul(x('f32', ['k', 'm']), x('f32', ['k', 'n']), { transA: true }), 'f32[m, n]'],
  ['matmul batch broadcast', (x) => x('f32', ['batch', 1, 'seq', 16]).matmul(x('f32', [4, 16, 8])), 'f32[batch, 4, seq, 8]'],
  ['reshape splits heads', (x) => x('f32', ['batch', 'seq', 256]).reshape(['batch', 'seq', 4, 64]), 'f32[batch, seq, 4, 64]'],
  ['reshape reorders symbols', (x) => x('f32', ['batch', 'seq', 4, 64]).reshape(['seq', 'batch', 256]), 'f32[seq, batch, 256]'],
  ['transpose', (x) => x('f32', ['batch', 'seq', 4, 64]).transpose([0, 2, 1, 3]), 'f32[batch, 4, seq, 64]'],
  ['mT swaps the last two axes', (x) => x('f32', ['batch', 'seq', 64]).mT(), 'f32[batch, 64, seq]'],
  ['slice with a symbolic size', (x) => x('f32', [512, 64]).slice(0, 0, 'seq'), 'f32[seq, 64]'],
  ['slice a symbolic dim whole', (x) => x('f32', ['batch', 'seq']).slice(-1, 0, 'seq'), 'f32[batch, seq]'],
  ['concat along the last axis', (x) => concat([x('f32', ['batch', 3]), x('f32', ['batch', 5])], -1), 'f32[batch, 8]'],
  ['split into three heads of q, k, v', (x) => split(x('f32', ['batch', 'seq', 192]), [64, 64, 64], -1), 'f32[batch, seq, 64], f32[batch, seq, 64], f32[batch, seq, 64]'],
  ['gather an embedding', (x) => gather(x('f32', [1000, 64]), x('i32', ['batch', 'seq'])), 'f32[batch, seq, 64]'],
  ['gather along axis 1 with i64', (x) => gather(x('f32', [3, 1000, 2]), x('i64', ['n']), 1), 'f32[3, n, 2]'],
  ['sum keepdims', (x) => x('f32', ['batch', 'seq', 64]).sum([-1], true), 'f32[batch, seq, 1]'],
  ['mean over two axes', (x) => x('f32', ['batch', 'seq', 64]).mean([0, 1]), 'f32[64]'],
  ['max of i32', (x) => x('i32', ['batch', 'seq']).max([1]), 'i32[batch]'],
  ['argmax', (x) => x('f32', ['batch', 'seq', 13]).argmax(-1), 'i32[batch, seq]'],
  ['softmax', (x) => x('f32', ['batch', 4, 'seq', 'seq']).softmax(), 'f32[batch, 4, seq, seq]'],
  ['layer_norm', (x) => layerNorm(x('f32', ['batch', 'seq', 64]), x('f32', [64]), x('f32', [64]), 1e-5), 'f32[batch, seq, 64]'],
  ['iota', (_x, b) => iota(b, ['seq', 'seq'], 1), 'i32[seq, seq]'],
  ['cast', (x) => x('f32', ['batch', 'seq']).cast('f16'), 'f16[batch, seq]'],
  ['gelu', (x) => x('f32', ['batch', 256]).gelu('tanh'), 'f32[batch, 256]'],
];

describe('shape rules infer exact types', () => {
  it.each(GOOD)('%s', (_name, build, want) => {
    const { b, x } = fresh();
    const out = build(x, b);
    expect((Array.isArray(out) ? out : [out]).map((v) => formatType(v.value.type)).join(', ')).toBe(want);
  });
});

const BAD: [string, (x: Declare, b: GraphBuilder) => unknown, string][] = [
  ['broadcast mismatch', (x) => x('f32', [2, 3]).add(x('f32', [4])), 'add(f32[2, 3], f32[4]): cannot broadcast [2, 3] with [4]: dim 3 vs 4'],
  ['symbol vs a different symbol', (x) => x('f32', ['batch', 'seq']).add(x('f32', ['batch', 'len'])), 'add(f32[batch, seq], f32[batch, len]): cannot broadcast [batch, seq] with [batch, len]: dim seq vs len'],
  ['dtype mismatch', (x) => x('f32', [2]).add(x('i32', [2])), 'add(f32[2], i32[2]): add needs operands of one dtype, got f32[2], i32[2]'],
  ['unary dtype', (x) => x('i32', [3]).exp(), 'exp(i32[3]): exp needs f32, got i32[3]'],
  ['matmul contracted mismatch', (x) => matmul(x('f32', [2, 3]), x('f32', [4, 5])), 'matmul(f32[2, 3], f32[4, 5]): contracted dims differ: 3 vs 4 (f32[2, 3] @ f32[4, 5])'],
  ['matmul symbolic contracted mismatch', (x) => matmul(x('f32', ['seq', 'k']), x('f32', ['n', 8]), { transB: true }), 'matmul(f32[seq, k], f32[n, 8]): contracted dims differ: k vs 8 (f32[seq, k] @ f32[n, 8]ᵀ)'],
  ['matmul rank 1', (x) => matmul(x('f32', [3]), x('f32', [3, 4])), 'matmul(f32[3], f32[3, 4]): operands need rank >= 2, got f32[3], f32[3, 4]'],
  ['matmul on i32', (x) => matmul(x('i32', [2, 2]), x('i32', [2, 2])), 'matmul(i32[2, 2], i32[2, 2]): matmul needs f32, got i32[2, 2], i32[2, 2]'],
  ['matmul batch mismatch', (x) => matmul(x('f32', [2, 3, 4]), x('f32', [5, 4, 6])), 'matmul(f32[2, 3, 4], f32[5, 4, 6]): batch dims do not broadcast: f32[2, 3, 4], f32[5, 4, 6]'],
  ['reshape count mismatch (symbolic)', (x) => x('f32', ['batch', 'seq', 256]).reshape(['batch', 4, 64]), 'reshape(f32[batch, seq, 256]): cannot reshape f32[batch, seq, 256] to [batch, 4, 64]: element counts differ'],
  ['transpose bad perm', (x) => x('f32', [2, 3, 4]).transpose([0, 0, 1]), 'transpose(f32[2, 3, 4]): perm [0, 0, 1] is not a permutation of the axes of f32[2, 3, 4]'],
  ['slice out of range', (x) => x('f32', [512, 64]).slice(0, 500, 20), 'slice(f32[512, 64]): [500, 520) is out of range for dim 512 of f32[512, 64]'],
  ['slice provably past a symbolic end', (x) => x('f32', ['seq', 4]).slice(0, 1, 'seq'), 'slice(f32[seq, 4]): [1, seq + 1) is out of range for dim seq of f32[seq, 4]'],
  ['slice attribute not an integer', (x) => x('f32', [4]).slice(0, 1.5, 2), 'slice(f32[4]): attribute start: dim 1.5 is not a non-negative integer'],
  ['split sizes not summing', (x) => split(x('f32', [2, 10]), [3, 4], 1), 'split(f32[2, 10]): sizes [3, 4] do not add up to dim 10 of f32[2, 10]'],
  ['concat mismatch', (x) => concat([x('f32', [2, 3]), x('f32', [4, 5])], 0), 'concat(f32[2, 3], f32[4, 5]): operands must agree except along axis 0: f32[2, 3], f32[4, 5]'],
  ['gather with f32 indices', (x) => gather(x('f32', [10, 4]), x('f32', [3])), 'gather(f32[10, 4], f32[3]): indices must be i32, i64 or u8, got f32[10, 4], f32[3]'],
  ['layer_norm weight shape', (x) => layerNorm(x('f32', [2, 8]), x('f32', [4]), x('f32', [8]), 1e-5), 'layer_norm(f32[2, 8], f32[4], f32[8]): weight must be [8] (the row length of x), got f32[2, 8], f32[4], f32[8]'],
  ['softmax on i32', (x) => x('i32', [4]).softmax(), 'softmax(i32[4]): softmax needs f32, got i32[4]'],
  ['softmax bad axis', (x) => x('f32', [4]).softmax(1), 'softmax(f32[4]): axis 1 is out of range for rank 1'],
  ['reduce bad axis', (x) => x('f32', [2, 3]).sum([2]), 'reduce_sum(f32[2, 3]): axis 2 is out of range for f32[2, 3]'],
  ['reduce repeated axis', (x) => x('f32', [2, 3]).mean([1, -1]), 'reduce_mean(f32[2, 3]): axes [1, -1] repeat an axis'],
  ['argmax on bool', (x) => x('bool', [3]).argmax(0), 'argmax(bool[3]): argmax needs f32 or i32, got bool[3]'],
  ['where with non-bool cond', (x) => where(x('f32', [2]), x('f32', [2]), x('f32', [2])), 'where(f32[2], f32[2], f32[2]): where needs a bool condition, got f32[2], f32[2], f32[2]'],
  ['iota dtype', (_x, b) => iota(b, [4], 0, 'bool'), 'iota(): dtype must be f32 or i32, got bool'],
];

describe('shape errors name the op, the operand types and the caller', () => {
  it.each(BAD)('%s', (_name, build, want) => {
    const { b, x } = fresh();
    const e = shapeError(() => build(x, b));
    expect(`${e.op}(${e.operands}): ${e.reason}`).toBe(want);
    expect(e.message).toMatch(new RegExp(`^${esc(HERE)}:\\d+:\\d+: ${esc(want)}$`));
  });

  it('the location is the line of the user call', () => {
    const { x } = fresh();
    const [p, q] = [x('f32', [2, 3]), x('f32', [4, 5])];
    const line = callerLine(), e = shapeError(() => matmul(p, q));
    expect(e.loc).toMatch(new RegExp(`^${esc(HERE)}:${line}:\\d+$`));
    expect(e.message).toBe(`${e.loc}: matmul(f32[2, 3], f32[4, 5]): contracted dims differ: 3 vs 4 (f32[2, 3] @ f32[4, 5])`);
  });

  it('inside an nn layer, the location is the user line that called forward', () => {
    const { b, x } = fresh();
    const linear = new nn.Linear(new nn.Scope(b), 32, 16);
    const h = x('f32', [2, 8]);
    const line = callerLine(), e = shapeError(() => linear.forward(h));
    expect(e.message).toMatch(new RegExp(`^${esc(HERE)}:${line}:\\d+: ${esc('matmul(f32[2, 8], f32[16, 32]): contracted dims differ: 8 vs 32 (f32[2, 8] @ f32[16, 32]ᵀ)')}$`));
  });

  it('the location survives nn layers nested deeply (a Transformer encoder)', () => {
    const { b, x } = fresh();
    const cfg = { dModel: 8, nHead: 2, numEncoderLayers: 2, numDecoderLayers: 0, dimFeedforward: 16, activation: 'relu' as const, layerNormEps: 1e-5, normFirst: false };
    const encoder = new nn.TransformerEncoder(new nn.Scope(b).child('encoder'), cfg);
    const src = x('f32', ['batch', 'seq', 4]);
    const line = callerLine(), e = shapeError(() => encoder.forward(src, undefined));
    expect(e.message).toMatch(new RegExp(`^${esc(HERE)}:${line}:\\d+: matmul\\(f32\\[batch, seq, 4\\], f32\\[24, 8\\]\\): contracted dims differ: 4 vs 8`));
  });

  it('a built node records the same user location', () => {
    const { x } = fresh();
    const p = x('f32', [2]);
    const line = callerLine(), y = p.add(1);
    expect(y.value.def.kind === 'node' && y.value.def.node.loc).toMatch(new RegExp(`^${esc(HERE)}:${line}:\\d+$`));
  });
});
