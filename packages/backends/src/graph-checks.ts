// What every backend checks of a graph and its weights before compiling or exporting it: the
// verifier's invariants (a graph edited by hand, or built wrongly, fails here with the broken
// invariant instead of crashing a backend), at least one output, and weights the graph never reads
// (a warning naming them, or an error with `strict`: usually the wrong weights file or graph).

import { type Graph, verifyGraph } from '@smelt/ir';
import { BackendError, type CompileOptions, type TensorInputs } from './backend.ts';

/** Weight names the graph never reads: no parameter of that name, or a parameter no node or output uses. */
export function unreadWeights(graph: Graph, weights: TensorInputs): string[] {
  const read = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.value)]);
  const used = new Set(graph.params.filter((p) => read.has(p)).map((p) => p.name!));
  return [...weights.keys()].filter((name) => !used.has(name));
}

export function checkGraph(graph: Graph, weights: TensorInputs, options: CompileOptions = {}): void {
  verifyGraph(graph);
  if (graph.outputs.length === 0) throw new BackendError(`graph ${JSON.stringify(graph.name)} has no outputs: there is nothing to compute`);
  const unread = unreadWeights(graph, weights);
  if (unread.length === 0) return;
  const message = `graph ${JSON.stringify(graph.name)} never reads ${unread.length === 1 ? 'weight' : `${unread.length} weights`} ${unread.map((n) => JSON.stringify(n)).join(', ')}`;
  if (options.strict) throw new BackendError(`${message} (strict: unread weights are an error)`);
  (options.warn ?? console.warn)(message);
}
