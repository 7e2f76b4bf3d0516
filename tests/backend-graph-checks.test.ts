// What every registered backend checks before compiling or exporting a graph (graph-checks.ts): the
// verifier's invariants (a hand-edited graph that points at another graph's value fails with the
// broken invariant, not "Cannot read properties of undefined"), at least one output, and weights the
// graph never reads (a warning naming them; an error with `strict`).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, Var, VerifyError, input, tensor } from '@smelt/ir';
import { backendNames, getBackend } from '@smelt/backends';

/** y = x · wᵀ with w [3, 4]; the weights given for it. */
function linear(): { b: GraphBuilder; x: Var; w: Var; weights: Map<string, Tensor> } {
  const b = new GraphBuilder('linear');
  const x = input(b, 'x', 'f32', ['n', 4]);
  const w = new Var(b, b.param('w', 'f32', [3, 4]));
  return { b, x, w, weights: new Map([['w', tensor('f32', [3, 4])]]) };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-graph-checks-'));

describe.each(backendNames())('backend %s', (name) => {
  const backend = getBackend(name);

  it('verifies the graph first: an operand from another graph is a VerifyError', async () => {
    const { b, x, w, weights } = linear();
    b.output('y', x.matmul(w, { transB: true }).value);
    const stranger = input(new GraphBuilder('other'), 'x', 'f32', ['n', 4]);
    b.graph.nodes[0].inputs[0] = stranger.value;
    await expect(backend.compile(b.graph, weights)).rejects.toThrow(VerifyError);
    await expect(backend.compile(b.graph, weights)).rejects.toThrow('node #0 (matmul at tests/backend-graph-checks.test.ts');
    if (backend.exportFiles) await expect(backend.exportFiles(b.graph, weights)).rejects.toThrow(VerifyError);
  });

  it('refuses a graph with no outputs', async () => {
    const { x, w, b, weights } = linear();
    x.matmul(w, { transB: true });
    await expect(backend.compile(b.graph, weights)).rejects.toThrow('graph "linear" has no outputs: there is nothing to compute');
  });

  it('warns about weights the graph never reads, and refuses them with strict', async () => {
    const { x, w, b, weights } = linear();
    new Var(b, b.param('unused', 'f32', [2]));
    b.output('y', x.matmul(w, { transB: true }).value);
    const extra = new Map([...weights, ['unused', tensor('f32', [2])], ['stray', tensor('f32', [1])]]);
    const warnings: string[] = [];
    const want = 'graph "linear" never reads 2 weights "unused", "stray"';
    const unavailable = await backend.unavailableReason();
    if (unavailable === undefined) {
      (await backend.compile(b.graph, extra, { warn: (m) => warnings.push(m) })).dispose();
      expect(warnings).toEqual([want]);
    }
    await expect(backend.compile(b.graph, extra, { strict: true })).rejects.toThrow(`${want} (strict: unread weights are an error)`);
    if (backend.exportFiles) await expect(backend.exportFiles(b.graph, extra, { strict: true })).rejects.toThrow(want);
  });
});
