// The rewriter's kept use counts: insertBefore, setInput and replace keep them equal to a recount of
// the graph, and a rule that changes an operand behind the rewriter's back is caught by name.

import { describe, expect, it } from 'vitest';
import { type Node, parseGraph, printGraph, useCounts } from '@smelt/ir';
import { Rewriter, applyRules, type Rule } from './rewrite.ts';

const IR = `graph @g {
  input %x : f32[4]
  input %y : f32[4]
  %0 = exp(%x) : f32[4]
  %1 = add(%0, %y) : f32[4]
  %2 = mul(%1, %0) : f32[4]
  output z = %2
}`;

describe('Rewriter use counts', () => {
  it('stay equal to a recount through insertBefore, setInput and replace', () => {
    const g = parseGraph(IR);
    const rw = new Rewriter(g);
    const [exp, add, mul] = g.nodes;
    const expectFresh = () => {
      const fresh = useCounts(g);
      for (const v of [...g.inputs, ...g.nodes.flatMap((n) => n.outputs)]) expect(rw.useCount(v), v.name ?? 'value').toBe(fresh.get(v) ?? 0);
    };
    expect(rw.useCount(exp.outputs[0])).toBe(2);
    const [neg] = rw.insertBefore(mul, 'neg', [exp.outputs[0]], {});
    expectFresh();
    rw.setInput(mul, 1, neg);
    expectFresh();
    expect(rw.soleUser(neg)).toBe(mul);
    rw.replace(add.outputs[0], g.inputs[1]);
    expectFresh();
    expect(rw.useCount(add.outputs[0])).toBe(0);
    expect(() => rw.checkUses([])).not.toThrow();
  });

  it('replace every slot and graph output reading the value, with the counts built before or not', () => {
    const text = `graph @g {
  input %x : f32[4]
  input %y : f32[4]
  %0 = exp(%x) : f32[4]
  %1 = mul(%0, %0) : f32[4]
  %2 = add(%1, %0) : f32[4]
  output z = %2
  output e = %0
}`;
    const want = `graph @g {
  input %x : f32[4]
  input %y : f32[4]
  %0 = exp(%x) : f32[4]
  %1 = mul(%y, %y) : f32[4]
  %2 = add(%1, %y) : f32[4]
  output z = %2
  output e = %y
}`;
    for (const counted of [false, true]) {
      const g = parseGraph(text);
      const rw = new Rewriter(g);
      if (counted) expect(rw.useCount(g.nodes[0].outputs[0])).toBe(4);
      rw.replace(g.nodes[0].outputs[0], g.inputs[1]);
      expect(printGraph(g).trim()).toBe(want);
      expect(rw.useCount(g.inputs[1])).toBe(4);
      expect(() => rw.checkUses([])).not.toThrow();
    }
  });

  it('catch a rule that changes an operand without setInput, naming the rule', () => {
    const g = parseGraph(IR);
    const sneaky: Rule = {
      name: 'sneaky',
      law: 'mul(a, b) → mul(a, a)',
      apply(n: Node, rw) {
        if (n.op !== 'mul' || n.inputs[1] === n.inputs[0]) return false;
        rw.useCount(n.inputs[0]);
        n.inputs[1] = n.inputs[0];
        return true;
      },
    };
    expect(() => applyRules(g, [sneaky])).toThrow(/rules sneaky changed an operand without Rewriter.setInput/);
  });
});
