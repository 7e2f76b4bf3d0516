// Build errors other than shape rules: a value from another GraphBuilder, a name declared twice,
// and an nn layer's bad sizes are BuildErrors located at the user's file:line, like ShapeErrors.

import { describe, expect, it } from 'vitest';
import { BuildError, GraphBuilder, input, nn } from './index.ts';

const HERE = 'packages/ir/src/builder.test.ts';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function buildError(f: () => unknown): BuildError {
  try {
    f();
  } catch (e) {
    if (e instanceof BuildError) return e;
    throw e;
  }
  return expect.fail('expected a BuildError');
}

/** The line of the statement that called this function. */
function callerLine(): number {
  const frame = new Error().stack!.split('\n')[2];
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}

const at = (line: number, what: string) => new RegExp(`^${esc(HERE)}:${line}:\\d+: ${esc(what)}$`);

describe('build errors name the mistake and the caller', () => {
  it('an operand from another GraphBuilder', () => {
    const [main, other] = [new GraphBuilder('main'), new GraphBuilder('other')];
    const x = input(main, 'x', 'f32', [2, 3]);
    const y = input(other, 'y', 'f32', [2, 3]);
    const line = callerLine(), e = buildError(() => x.add(y));
    expect(e.message).toMatch(at(line, 'add(f32[2, 3], f32[2, 3]): operand 1 (input "y") is from another GraphBuilder, not from the one building "main"'));
    expect(main.graph.nodes).toHaveLength(0);
  });

  it('a node result from another GraphBuilder, also as an output', () => {
    const [main, other] = [new GraphBuilder('main'), new GraphBuilder('other')];
    const x = input(main, 'x', 'f32', [4]);
    const h = input(other, 'y', 'f32', [4]).exp();
    let line = callerLine(), e = buildError(() => x.mul(h));
    expect(e.message).toMatch(at(line, 'mul(f32[4], f32[4]): operand 1 (the f32[4] result of exp) is from another GraphBuilder, not from the one building "main"'));
    line = callerLine(); e = buildError(() => main.output('h', h.value));
    expect(e.message).toMatch(at(line, 'output "h": (the f32[4] result of exp) is from another GraphBuilder, not from the one building "main"'));
  });

  it('a parameter name declared twice', () => {
    const b = new GraphBuilder('m');
    new nn.Linear(new nn.Scope(b).child('proj'), 4, 4);
    const line = callerLine(), e = buildError(() => new nn.Linear(new nn.Scope(b).child('proj'), 4, 4));
    expect(e.message).toMatch(at(line, '"proj.weight" is declared twice (already a parameter of "m")'));
  });

  it('an input name declared twice, and an output name', () => {
    const b = new GraphBuilder('m');
    const x = input(b, 'x', 'f32', [2]);
    let line = callerLine(), e = buildError(() => input(b, 'x', 'f32', [2]));
    expect(e.message).toMatch(at(line, '"x" is declared twice (already an input of "m")'));
    b.output('y', x.value);
    line = callerLine(); e = buildError(() => b.output('y', x.value));
    expect(e.message).toMatch(at(line, 'output "y" is declared twice'));
  });

  it("MultiHeadAttention's sizes", () => {
    const b = new GraphBuilder('m');
    const line = callerLine(), e = buildError(() => new nn.MultiHeadAttention(new nn.Scope(b), 48, 5));
    expect(e.message).toMatch(at(line, 'MultiHeadAttention: dModel 48 is not divisible by nHead 5'));
  });
});
