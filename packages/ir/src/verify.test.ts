// The verifier: it accepts graphs built by the DSL, nn layers and the parser, and rejects each
// broken invariant (tampered types, SSA order, names, outputs, attributes) with an exact message.

import { describe, expect, it } from 'vitest';
import {
  type Graph, GraphBuilder, VerifyError, Value, input, layerNorm, nn, parseGraph, verifyGraph,
} from './index.ts';

function verifyMessage(g: Graph): string {
  try {
    verifyGraph(g);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return (e as Error).message;
  }
  return expect.fail('expected a VerifyError');
}

/** x -> neg -> softmax -> output y; nodes #0 (neg) and #1 (softmax). Built by the parser, so no locations. */
const SMALL = `graph @small {
  input %x : f32[2, 3]
  param %w : f32[3]
  %0 = neg(%x) : f32[2, 3]
  %1 = softmax(%0) {axis = -1} : f32[2, 3]
  output y = %1
}
`;
const small = () => parseGraph(SMALL);

describe('accepts sound graphs', () => {
  it('a DSL graph with symbols, numbers mixed in and several outputs', () => {
    const b = new GraphBuilder('dsl');
    const x = input(b, 'x', 'f32', ['batch', 'seq', 16]);
    const scope = new nn.Scope(b);
    const h = new nn.Linear(scope.child('proj'), 16, 32).forward(x).relu().mul(0.5);
    const y = layerNorm(h, scope.param('ln.weight', [32]), scope.param('ln.bias', [32]), 1e-5).softmax(-1);
    b.output('y', y.value);
    b.output('argmax', y.argmax(-1).value);
    expect(() => verifyGraph(b.graph)).not.toThrow();
  });

  it('a Transformer built from nn layers, with masks and positional encoding', () => {
    const b = new GraphBuilder('transformer');
    const cfg = { dModel: 16, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 32, activation: 'gelu' as const, layerNormEps: 1e-5, normFirst: true };
    const model = new nn.Transformer(new nn.Scope(b), cfg);
    const pe = new nn.PositionalEncoding(b, 64, 16);
    const src = pe.forward(input(b, 'src', 'f32', ['batch', 'srcLen', 16]));
    const tgt = pe.forward(input(b, 'tgt', 'f32', ['batch', 'tgtLen', 16]));
    const pad = nn.keyPaddingMask(input(b, 'src_padding', 'bool', ['batch', 'srcLen']));
    const memory = model.encoder.forward(src, pad);
    b.output('out', model.decoder.forward(tgt, memory, nn.causalMask(b, 'tgtLen'), pad).value);
    expect(() => verifyGraph(b.graph)).not.toThrow();
  });

  it('a parsed graph', () => expect(() => verifyGraph(small())).not.toThrow());
});

describe('rejects broken invariants', () => {
  it('a node whose recorded result type was tampered with', () => {
    const g = small();
    g.nodes[0].outputs[0].type = { dtype: 'f32', shape: [3, 2] };
    expect(verifyMessage(g)).toBe('node #0 (neg): results are f32[3, 2] but the rule gives f32[2, 3]');
  });

  it('a tampered dtype, with the node location in the message', () => {
    const g = small();
    g.nodes[1].outputs[0].type = { dtype: 'f16', shape: [2, 3] };
    g.nodes[1].loc = 'model.ts:12:7';
    expect(verifyMessage(g)).toBe('node #1 (softmax at model.ts:12:7): results are f16[2, 3] but the rule gives f32[2, 3]');
  });

  it('an operand used before its definition (nodes reordered)', () => {
    const g = small();
    g.nodes.reverse();
    expect(verifyMessage(g)).toBe('node #0 (softmax): operand 0 is not defined before its use');
  });

  it('an operand from another graph', () => {
    const g = small();
    g.nodes[1].inputs[0] = small().nodes[0].outputs[0];
    expect(verifyMessage(g)).toBe('node #1 (softmax): operand 0 is not defined before its use');
  });

  it('duplicate input names', () => {
    const g = small();
    g.addInput('x', { dtype: 'f32', shape: [1] });
    expect(verifyMessage(g)).toBe('input or parameter "x" is declared twice');
  });

  it('an input and a parameter with one name', () => {
    const g = small();
    g.addParam('x', { dtype: 'f32', shape: [1] });
    expect(verifyMessage(g)).toBe('input or parameter "x" is declared twice');
  });

  it('duplicate outputs', () => {
    const g = small();
    g.setOutput('y', g.nodes[0].outputs[0]);
    expect(verifyMessage(g)).toBe('output "y" is declared twice');
  });

  it('an output that is not defined in the graph', () => {
    const g = small();
    g.setOutput('z', new Value({ dtype: 'f32', shape: [2, 3] }, { kind: 'input', name: 'stray' }));
    expect(verifyMessage(g)).toBe('output "z" is not defined in the graph');
  });

  it('an output whose node was removed', () => {
    const g = small();
    g.nodes.pop();
    expect(verifyMessage(g)).toBe('output "y" is not defined in the graph');
  });

  it.each([
    ['a non-integer axis', { axis: 1.5 }, 'node #1 (softmax): softmax: attribute axis must be an integer, got 1.5'],
    ['a string axis', { axis: '-1' }, 'node #1 (softmax): softmax: attribute axis must be an integer, got "-1"'],
    ['a missing attribute', {}, 'node #1 (softmax): softmax: attribute axis must be an integer, got undefined'],
    ['an unknown attribute', { axis: -1, bias: 0 }, 'node #1 (softmax): unknown attribute "bias"'],
    ['an attribute the rule rejects', { axis: 2 }, 'node #1 (softmax): axis 2 is out of range for rank 2'],
  ])('a bad attribute value: %s', (_name, attrs, message) => {
    const g = small();
    g.nodes[1].attrs = attrs as never;
    expect(verifyMessage(g)).toBe(message);
  });

  it('a wrong operand count', () => {
    const g = small();
    g.nodes[0].inputs.push(g.inputs[0]);
    expect(verifyMessage(g)).toBe('node #0 (neg): takes 1 operands, has 2');
  });

  it('an operand swapped for one of another type', () => {
    const g = small();
    g.params[0].type = { dtype: 'i32', shape: [3] };
    g.nodes[0].inputs[0] = g.params[0];
    expect(verifyMessage(g)).toBe('node #0 (neg): results are f32[2, 3] but the rule gives i32[3]');
  });

  it('an operand type the rule rejects', () => {
    const g = small();
    g.params[0].type = { dtype: 'i32', shape: [3] };
    g.nodes[1].inputs[0] = g.params[0];
    expect(verifyMessage(g)).toBe('node #1 (softmax): softmax needs f32, got i32[3]');
  });

  it('an unknown op', () => {
    const g = small();
    (g.nodes[0] as { op: string }).op = 'frobnicate';
    expect(verifyMessage(g)).toBe('node #0 (frobnicate): unknown op');
  });

  it('a node listed twice defines its results twice', () => {
    const g = small();
    g.nodes.splice(1, 0, g.nodes[0]);
    expect(verifyMessage(g)).toBe('node #1 (neg): result 0 is defined twice');
  });

  it('a result that does not point back at its node', () => {
    const g = small();
    g.nodes[1].outputs[0] = g.nodes[0].outputs[0];
    expect(verifyMessage(g)).toBe('node #1 (softmax): result 0 does not point back at its node');
  });
});
