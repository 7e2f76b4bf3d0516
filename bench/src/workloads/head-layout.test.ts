// Issue 17's layout folding, counted: the optimized toy model (examples/transformer/toy-reverse, the
// graph `smelt inspect --config` compiles) and the bench's W-small and W-base hold no `transpose` op
// and no transpose kernel: attention reads and writes the head-interleaved layout (bshd) and the head
// split and merge are reshapes, which are views. Every attention is fused and in bshd.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Graph, type Node, attentionLayout, opCounts } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { buildModel, readConfig } from '@smelt/models';
import { WORKLOADS, workloadParts } from './defs.ts';
import { buildPartGraph } from './graphs.ts';

const TOY = fileURLToPath(new URL('../../../examples/transformer/toy-reverse/config.json', import.meta.url));

function workloadGraph(id: string): Graph {
  const def = WORKLOADS.find((w) => w.id === id)!;
  return buildPartGraph(workloadParts(def.shape)[0]);
}

describe('no standalone transpose in the optimized Transformers', () => {
  it.each([
    ['the toy model', () => buildModel(readConfig(TOY)), 6],
    ['W-small', () => workloadGraph('w-small'), 3 + 2 * 3],
    ['W-base', () => workloadGraph('w-base'), 6 + 2 * 6],
  ] as const)('%s: zero transpose ops and kernels, every attention in bshd', (_name, build, attentions) => {
    const raw = build();
    expect(opCounts(raw).transpose).toBeGreaterThan(0);
    const { graph, plan } = compileGraph(raw);
    expect(opCounts(graph).transpose ?? 0).toBe(0);
    expect(plan.kernels.filter((k) => k.kind === 'transpose')).toEqual([]);
    const layouts = graph.nodes.flatMap((n) => (n.op === 'attention' ? [attentionLayout((n as Node<'attention'>).attrs)] : []));
    expect(layouts).toEqual(Array(attentions).fill('bshd'));
  });

  it('with fuse-head-layout disabled the transposes are back (the count can fail)', () => {
    const { plan } = compileGraph(workloadGraph('w-base'), { disable: ['fuse-head-layout'] });
    expect(plan.kernels.filter((k) => k.kind === 'transpose').length).toBe(18 * 4);
  });
});
