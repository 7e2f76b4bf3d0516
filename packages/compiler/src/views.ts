// Human views of an optimized graph: a Graphviz DOT rendering (fused ops as clusters, shapes on
// edges) and the stats table that ends `smelt inspect`'s text output (as IR comments, so the
// output still parses).

import { type Graph, type Node, type Value, attentionLayout, formatType, hasTrait, opNode, printGraph } from '@smelt/ir';
import { type GraphStats } from './plan/stats.ts';

const dotString = (s: string) => JSON.stringify(s);

function nodeLabel(node: Node): string {
  const n = opNode(node);
  if (n.op === 'linear') return `linear\\n${n.attrs.epilogue}`;
  if (n.op === 'attention') return `attention${n.attrs.causal ? '\\ncausal' : ''}${attentionLayout(n.attrs) === 'bshd' ? '\\nbshd' : ''}`;
  if (n.op === 'fused_elementwise') return `fused_elementwise\\n${n.attrs.expr}`;
  return n.op;
}

export function graphToDot(g: Graph): string {
  const id = new Map<Value, string>();
  const lines = [`digraph ${dotString(g.name)} {`, '  rankdir=TB;', '  node [shape=box, fontname="monospace", fontsize=10];', '  edge [fontname="monospace", fontsize=8];'];
  for (const v of g.inputs) {
    id.set(v, `in_${id.size}`);
    lines.push(`  ${id.get(v)} [shape=oval, style=filled, fillcolor="#dde8ff", label=${dotString(`${v.name}\n${formatType(v.type)}`)}];`);
  }
  for (const v of g.params) {
    id.set(v, `w_${id.size}`);
    lines.push(`  ${id.get(v)} [shape=note, fontsize=8, color=gray, label=${dotString(v.name!)}];`);
  }
  g.nodes.forEach((n, i) => {
    const name = `n${i}`;
    n.outputs.forEach((v) => id.set(v, name));
    const label = dotString(nodeLabel(n)).replace(/\\\\n/g, '\\n');
    if (hasTrait(n.op, 'fused')) {
      lines.push(`  subgraph cluster_${i} { label=${dotString(n.op)}; style="rounded,filled"; fillcolor="#fff3d6"; ${name} [label=${label}]; }`);
    } else {
      lines.push(`  ${name} [label=${label}];`);
    }
    for (const x of n.inputs) lines.push(`  ${id.get(x)} -> ${name} [label=${dotString(formatType(x.type))}];`);
  });
  g.outputs.forEach((o, i) => {
    lines.push(`  out_${i} [shape=oval, style=filled, fillcolor="#dfffe0", label=${dotString(o.name)}];`);
    lines.push(`  ${id.get(o.value)} -> out_${i} [label=${dotString(formatType(o.value.type))}];`);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

function human(n: number, unit: string): string {
  const steps: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of steps) if (n >= f) return `${(n / f).toFixed(2)} ${p}${unit}`;
  return `${n} ${unit}`;
}

/** The closing stats table, as `//` comment lines. */
export function statsTable(before: Record<string, number>, stats: GraphStats, env: ReadonlyMap<string, number>): string {
  const kinds = [...new Set([...Object.keys(before), ...Object.keys(stats.ops)])].sort();
  const width = Math.max(...kinds.map((k) => k.length));
  const rows = [
    `// stats at ${[...env].map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `// ops (before → after): ${Object.values(before).reduce((a, b) => a + b, 0)} → ${Object.values(stats.ops).reduce((a, b) => a + b, 0)}`,
    ...kinds.map((k) => `//   ${k.padEnd(width)}  ${String(before[k] ?? 0).padStart(4)} → ${stats.ops[k] ?? 0}`),
    `// kernels: ${stats.kernels}`,
    `// fusions: ${Object.entries(stats.fusions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `// FLOPs: ${human(stats.flops, 'FLOP')}   bytes moved: ${human(stats.bytesMoved, 'B')}`,
    `// memory: peak arena ${human(stats.peakBytes, 'B')} vs naive ${human(stats.naiveBytes, 'B')} (${((100 * stats.peakBytes) / Math.max(1, stats.naiveBytes)).toFixed(1)}%)`,
  ];
  return rows.join('\n') + '\n';
}

/** The optimized IR followed by the stats table (`smelt inspect`'s text format). */
export function printGraphWithStats(g: Graph, before: Record<string, number>, stats: GraphStats, env: ReadonlyMap<string, number>): string {
  return printGraph(g) + statsTable(before, stats, env);
}
