// The fuzzer's own tests: every op kind's generator produces its op; a deliberately wrong target is
// caught and its mismatch shrunk to the one op that is wrong; a case file reads back as written;
// and the bounded budget the test command runs: graphs from a fixed seed on every target that can
// run here (all of them under CI=true) agree with the interpreter.

import { describe, expect, it } from 'vitest';
import { type Graph, OP_KINDS, type Tensor, interpret, printGraph } from '@smelt/ir';
import { getBackend } from '@smelt/backends';
import { readCase, writeCase } from './case-file.ts';
import { concreteAt, checkConcrete } from './concrete.ts';
import { checkCase } from './differential.ts';
import { generateCase } from './generate.ts';
import { OP_GENS } from './op-gens.ts';
import { PATTERN_GENS } from './patterns.ts';
import { fuzz } from './run.ts';
import { shrink } from './shrink.ts';
import { TARGET_NAMES, type Target, target, targetUnavailable } from './targets.ts';

/** Budget of the test command: graphs from one seed, on every target. */
const BUDGET = { graphs: 16, seed: 20261203 };

const opsOf = (g: Graph) => new Set(g.nodes.map((n) => n.op));

/** The js backend, except that every output of a graph with a tanh is one off at element 0. */
const brokenTanh: Target = {
  name: 'broken-tanh', modes: [false],
  async compile(graph, weights) {
    const exe = await getBackend('js').compile(graph, weights, { optimize: false, warn: () => undefined });
    const wrong = opsOf(graph).has('tanh');
    return {
      dispose: () => exe.dispose(),
      async run(inputs) {
        const out = await exe.run(inputs);
        if (wrong) for (const t of out.values()) if (t.dtype === 'f32' && t.data.length) (t.data as Float32Array)[0] += 1;
        return out;
      },
    };
  },
};

describe('generator table', () => {
  it.each(OP_KINDS.filter((k) => typeof OP_GENS[k] === 'function').map((k) => [k]))('%s: its generator makes the op', (kind) => {
    const seen = Array.from({ length: 12 }, (_, s) => generateCase(1000 + s, { only: [kind], ops: 2 })).some((c) => opsOf(c.graph).has(kind));
    expect(seen, `no graph of 12 drawn from ${kind}'s generator holds a ${kind}`).toBe(true);
  });

  it.each(Object.keys(PATTERN_GENS).map((k) => [k]))('%s builds graphs the interpreter runs', (name) => {
    for (let s = 0; s < 4; s++) {
      const c = generateCase(2000 + s, { only: [name], ops: 1 });
      expect(c.graph.nodes.length).toBeGreaterThan(1);
      for (const env of c.envs) expect(interpret(c.graph, c.inputs(env), c.weights).size).toBe(c.graph.outputs.length);
    }
  });

  it('is deterministic: a seed names one graph and one set of inputs', () => {
    const [a, b] = [generateCase(77), generateCase(77)];
    expect(printGraph(a.graph)).toBe(printGraph(b.graph));
    expect([...a.inputs(a.envs[0]).values()].map((t) => Array.from(t.data as ArrayLike<number>))).toEqual([...b.inputs(b.envs[0]).values()].map((t) => Array.from(t.data as ArrayLike<number>)));
  });
});

describe('differential run', () => {
  it('splits into shards: --from K runs the graphs K, K + 1, … of the whole run', async () => {
    const found = async (graphs: number, from?: number) => {
      const seen: string[] = [];
      await fuzz({ graphs, seed: 5, from, targets: [brokenTanh], onMismatch: (i, s) => { seen.push(`${i}:${s}`); } });
      return seen;
    };
    const whole = await found(12);
    expect(whole.length).toBeGreaterThan(0);
    expect([...await found(5), ...await found(7, 5)]).toEqual(whole);
  });

  it('catches a wrong target and shrinks the mismatch to the op that is wrong', async () => {
    const report = await fuzz({ graphs: 12, seed: 5, targets: [brokenTanh], onMismatch: () => undefined });
    expect(report.mismatches).toBeGreaterThan(0);
    const seed = Array.from({ length: 50 }, (_, s) => 3000 + s).find((s) => opsOf(generateCase(s, { only: ['tanh', 'add', 'mul', 'matmul'], ops: 5 }).graph).has('tanh'))!;
    const c = generateCase(seed, { only: ['tanh', 'add', 'mul', 'matmul'], ops: 5 });
    const [first] = await checkCase(c, [brokenTanh]);
    expect(first?.kind).toBe('value');
    const { shrunk } = await shrink(concreteAt(c, c.envs[0]), (x) => checkConcrete(x, brokenTanh), first);
    expect(shrunk.graph.nodes.map((n) => n.op)).toEqual(['tanh']);
    expect(shrunk.graph.outputs).toHaveLength(1);
    expect((await checkConcrete(shrunk, brokenTanh)).length).toBeGreaterThan(0);
  });

  it('a kept case reads back as written', () => {
    const c = concreteAt(generateCase(11), generateCase(11).envs[0]);
    const text = writeCase(c, ['a test case']);
    const back = readCase(text, 'test.ir');
    expect(printGraph(back.graph)).toBe(printGraph(c.graph));
    const values = (m: Map<string, Tensor>) => [...m].map(([k, t]) => [k, t.dtype, t.shape, Array.from(t.data as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : String(x)))]);
    expect(values(back.inputs)).toEqual(values(c.inputs));
    expect(values(back.weights)).toEqual(values(c.weights));
    expect(writeCase(back, ['a test case'])).toBe(text);
  });

  it(`the bounded budget: ${BUDGET.graphs} graphs from seed ${BUDGET.seed} agree on every target`, async () => {
    const targets: Target[] = [];
    for (const name of TARGET_NAMES) {
      const why = await targetUnavailable(name);
      if (why && process.env.CI === 'true') throw new Error(`fuzz target ${name} cannot run in CI: ${why}`);
      if (why) console.warn(`[fuzz] skipping ${name}: ${why}`);
      else targets.push(target(name));
    }
    const seen: string[] = [];
    const report = await fuzz({ ...BUDGET, targets, onMismatch: (i, s, found) => { seen.push(`graph ${i} (case seed ${s}): ${found.map((m) => `${m.target} ${m.message}`).join('; ')}`); } });
    expect(seen).toEqual([]);
    expect(report.mismatches).toBe(0);
  }, 600_000);
});
