// Shrinking a mismatch to a small graph that still shows it: keep one failing output, then
// repeatedly cut a node out (its result becomes a new graph input holding the interpreter's value
// of it, so everything downstream sees the same numbers) or bypass it (its uses read one of its
// operands of the same type), drop unread inputs and weights, and keep each step that still fails
// the same way (a wrong value stays a wrong value; an error keeps its message up to numbers).

import { type Graph, type Tensor, type Value, cloneGraph, interpret, verifyGraph } from '@smelt/ir';
import type { ConcreteCase } from './concrete.ts';
import type { Mismatch } from './differential.ts';

/** Whether `found` is the same failure as `first` (what the shrinker keeps). */
function sameFailure(first: Mismatch, found: readonly Mismatch[]): boolean {
  const shape = (m: Mismatch) => m.message.replace(/[-\d.e+]+|NaN|Infinity/g, '#').slice(0, 80);
  return found.some((m) => m.kind === first.kind && m.optimize === first.optimize && (m.kind === 'value' || shape(m) === shape(first)));
}

/** Every node result's value at the case's inputs, by the interpreter. */
function allValues(c: ConcreteCase): Map<Value, Tensor> {
  const g = cloneGraph(c.graph);
  const originals = c.graph.nodes.flatMap((n) => n.outputs);
  const copies = g.nodes.flatMap((n) => n.outputs);
  g.outputs.length = 0;
  copies.forEach((v, i) => g.setOutput(`v${i}`, v));
  const got = interpret(g, c.inputs, c.weights);
  return new Map(originals.map((v, i) => [v, got.get(`v${i}`)!]));
}

/** The graph with uses of `v` rewired to `to`, dead nodes, unread params and (optionally) unread inputs dropped. */
function rewire(g: Graph, v: Value | undefined, to: Value | undefined, dropInputs: boolean): Graph {
  const out = cloneGraph(g);
  const map = new Map<Value, Value>();
  [...g.inputs, ...g.params, ...g.nodes.flatMap((n) => n.outputs)].forEach((x, i) => map.set(x, [...out.inputs, ...out.params, ...out.nodes.flatMap((n) => n.outputs)][i]));
  if (v && to) {
    const [from, target] = [map.get(v)!, map.get(to) ?? to];
    for (const n of out.nodes) n.inputs = n.inputs.map((x) => (x === from ? target : x));
    for (const o of out.outputs) if (o.value === from) o.value = target;
    if (!map.has(to)) out.inputs.push(to);
  }
  const live = new Set(out.outputs.map((o) => o.value));
  for (let i = out.nodes.length - 1; i >= 0; i--) {
    const n = out.nodes[i];
    if (n.outputs.some((x) => live.has(x))) n.inputs.forEach((x) => live.add(x));
    else out.nodes.splice(i, 1);
  }
  for (const list of dropInputs ? [out.params, out.inputs] : [out.params]) {
    for (let i = list.length - 1; i >= 0; i--) if (!live.has(list[i])) list.splice(i, 1);
  }
  verifyGraph(out);
  return out;
}

/** The case with `graph`; an output whose value was replaced (`replaced`) loses its magnitude bound. */
function withGraph(c: ConcreteCase, graph: Graph, extra?: [string, Tensor], replaced?: Value): ConcreteCase {
  const inputs = new Map([...c.inputs, ...(extra ? [extra] : [])].filter(([k]) => graph.input(k)));
  const weights = new Map([...c.weights].filter(([k]) => graph.param(k)));
  const gone = new Set(c.graph.outputs.filter((o) => o.value === replaced).map((o) => o.name));
  const bounds = new Map([...c.bounds].filter(([k]) => !gone.has(k) && graph.outputs.some((o) => o.name === k)));
  return { graph, inputs, weights, bounds };
}

/** Candidates one step smaller than `c`, smallest change last to first node. */
function* candidates(c: ConcreteCase): Generator<() => ConcreteCase> {
  const g = c.graph;
  if (g.outputs.length > 1) {
    for (const o of g.outputs) {
      yield () => {
        const h = cloneGraph(g);
        h.outputs.splice(0, h.outputs.length, ...h.outputs.filter((x) => x.name === o.name));
        return withGraph(c, rewire(h, undefined, undefined, false));
      };
    }
  }
  const values = allValues(c);
  const taken = new Set([...g.inputs, ...g.params].map((v) => v.name));
  for (const n of [...g.nodes].reverse()) {
    for (const r of n.outputs) {
      for (const operand of n.inputs.filter((x) => x.type.dtype === r.type.dtype && x.type.shape.join() === r.type.shape.join())) {
        yield () => withGraph(c, rewire(g, r, operand, false), undefined, r);
      }
      let k = 0;
      while (taken.has(`c${k}`)) k++;
      const name = `c${k}`;
      yield () => {
        const input = cloneGraph(g).addInput(name, r.type);
        return withGraph(c, rewire(g, r, input, false), [name, values.get(r)!], r);
      };
    }
  }
  yield () => withGraph(c, rewire(g, undefined, undefined, true));
}

export interface ShrinkResult {
  readonly shrunk: ConcreteCase;
  readonly mismatch: Mismatch;
  readonly steps: number;
}

/** Mismatches of a candidate (checkConcrete on the target that failed). */
export type Check = (c: ConcreteCase) => Promise<Mismatch[]>;

/** Shrink `c`, on which `check` finds `first`, within `budget` tries. */
export async function shrink(c: ConcreteCase, check: Check, first: Mismatch, budget = 150): Promise<ShrinkResult> {
  let current = c, mismatch = first, steps = 0, tries = 0;
  for (let progress = true; progress && tries < budget;) {
    progress = false;
    for (const make of candidates(current)) {
      if (++tries > budget) break;
      let next: ConcreteCase, found: Mismatch[];
      try {
        next = make();
        if (next.graph.nodes.length > current.graph.nodes.length || (next.graph.nodes.length === current.graph.nodes.length && next.graph.outputs.length >= current.graph.outputs.length && next.graph.inputs.length >= current.graph.inputs.length)) continue;
        found = await check(next);
      } catch {
        continue; // the interpreter has no answer for this candidate, or it does not verify
      }
      if (sameFailure(first, found)) {
        current = next;
        mismatch = found.find((m) => m.kind === first.kind)!;
        steps++;
        progress = true;
        break;
      }
    }
  }
  return { shrunk: current, mismatch, steps };
}
