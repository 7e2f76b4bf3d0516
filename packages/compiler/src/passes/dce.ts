// Dead code elimination: drop nodes none of whose results is used by a live node or an output.
// Parameters and inputs stay: they are the graph's interface.

import type { Graph, Value } from '@smelt/ir';

/** Remove dead nodes; true when any was removed. */
export function deadCodeElimination(g: Graph): boolean {
  const live = new Set<Value>(g.outputs.map((o) => o.value));
  const keep = new Array<boolean>(g.nodes.length).fill(false);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((v) => live.has(v))) {
      keep[i] = true;
      for (const v of n.inputs) live.add(v);
    }
  }
  const before = g.nodes.length;
  g.nodes = g.nodes.filter((_, i) => keep[i]);
  return g.nodes.length !== before;
}
