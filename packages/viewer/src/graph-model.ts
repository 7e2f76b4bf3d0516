// What the graph view draws for one step of a compile trace, before any layout: boxes for graph
// inputs, ops and outputs, a group around each fused op, one cluster per expanded layer or one box
// per collapsed layer (so W-base's hundreds of ops stay readable), and the edges between what is
// visible (parallel edges merged). Marks say what a pass added, removed or changed. Pure data, no
// DOM: the layout library and the SVG come after (ui/graph-view.ts).

import type { TraceNode, TraceStep } from '@smelt/compiler';

export type Mark = 'added' | 'removed' | 'changed';

export interface VisNode {
  readonly key: string;
  readonly kind: 'input' | 'op' | 'output' | 'layer' | 'fused-group' | 'layer-cluster';
  /** Text lines of the box (the first is the title). */
  readonly lines: readonly string[];
  /** The trace node it shows (kind op). */
  readonly node?: number;
  /** The layer it stands for (kind layer, layer-cluster). */
  readonly layer?: string;
  /** The cluster it is drawn inside. */
  readonly parent?: string;
  readonly mark?: Mark;
}

export interface VisEdge {
  readonly from: string;
  readonly to: string;
  /** The value's type, when the edge is one value (merged edges have none). */
  readonly label?: string;
}

export interface VisGraph {
  readonly nodes: readonly VisNode[];
  readonly edges: readonly VisEdge[];
}

/** Above this many ops (in the graph as built) every step opens with its layers collapsed. */
export const COLLAPSE_ABOVE = 120;

/** The layers of a step in order of first appearance. */
export function layersOf(step: TraceStep): string[] {
  return [...new Set(step.nodes.flatMap((n) => (n.layer === undefined ? [] : [n.layer])))];
}

/** The layers of `step` to start collapsed: all of them when the trace's first step (the largest) is large. */
export function defaultCollapsed(step: TraceStep, first: TraceStep): Set<string> {
  return new Set(first.nodes.length > COLLAPSE_ABOVE ? layersOf(step) : []);
}

/** A node's identity for comparing steps: op, attributes, operands (by producer) and result types. */
function signature(n: TraceNode): string {
  return JSON.stringify([n.op, n.attrs, n.inputs.map((v) => v.node ?? v.ref), n.outputs.map((v) => v.type)]);
}

/** What a pass did, by node id: removed and changed nodes of `before`, added and changed nodes of `after`. */
export function diffSteps(before: TraceStep, after: TraceStep): { before: Map<number, Mark>; after: Map<number, Mark> } {
  const was = new Map(before.nodes.map((n) => [n.id, n]));
  const is = new Map(after.nodes.map((n) => [n.id, n]));
  const b = new Map<number, Mark>();
  const a = new Map<number, Mark>();
  for (const [id, n] of was) {
    const now = is.get(id);
    if (!now) b.set(id, 'removed');
    else if (signature(now) !== signature(n)) { b.set(id, 'changed'); a.set(id, 'changed'); }
  }
  for (const id of is.keys()) if (!was.has(id)) a.set(id, 'added');
  return { before: b, after: a };
}

function opLines(n: TraceNode): string[] {
  const lines = [n.op];
  if (n.attrs.epilogue) lines.push(JSON.parse(n.attrs.epilogue) as string);
  if (n.attrs.expr) lines.push(JSON.parse(n.attrs.expr) as string);
  if (n.attrs.causal === 'true') lines.push('causal');
  lines.push(n.outputs.map((v) => v.type).join(', '));
  return lines;
}

const rank: Record<Mark, number> = { changed: 1, added: 2, removed: 3 };
const stronger = (a: Mark | undefined, b: Mark | undefined): Mark | undefined => (!a ? b : !b ? a : rank[b] > rank[a] ? b : a);

/** The visible graph of `step` with the layers in `collapsed` folded into one box each. */
export function visibleGraph(step: TraceStep, collapsed: ReadonlySet<string>, marks: ReadonlyMap<number, Mark> = new Map()): VisGraph {
  const nodes: VisNode[] = [];
  const edges = new Map<string, VisEdge>();
  const keyOf = new Map<number, string>();
  const layerBoxes = new Map<string, { count: number; fused: number; mark?: Mark }>();
  // Keys hold indices only, never names (a name may hold any character).
  const layerIndex = new Map(layersOf(step).map((l, i) => [l, i]));
  const inputKey = new Map(step.inputs.map((v, i) => [v.ref, `in:${i}`]));
  for (const n of step.nodes) {
    if (n.layer !== undefined && collapsed.has(n.layer)) {
      const box = layerBoxes.get(n.layer) ?? { count: 0, fused: 0 };
      layerBoxes.set(n.layer, { count: box.count + 1, fused: box.fused + (n.fused ? 1 : 0), mark: stronger(box.mark, marks.get(n.id)) });
      keyOf.set(n.id, `L:${layerIndex.get(n.layer)}`);
    } else {
      keyOf.set(n.id, `n:${n.id}`);
    }
  }
  step.inputs.forEach((v, i) => nodes.push({ key: `in:${i}`, kind: 'input', lines: [v.ref.replace(/^%/, ''), v.type] }));
  const clusters = new Set<string>();
  for (const n of step.nodes) {
    const key = keyOf.get(n.id)!;
    if (key.startsWith('L:')) {
      if (!clusters.has(key)) {
        clusters.add(key);
        const box = layerBoxes.get(n.layer!)!;
        nodes.push({ key, kind: 'layer', layer: n.layer, lines: [n.layer!, `${box.count} ops${box.fused ? `, ${box.fused} fused` : ''}`, '(click to expand)'], ...(box.mark ? { mark: box.mark } : {}) });
      }
    } else {
      let parent: string | undefined;
      if (n.layer !== undefined) {
        parent = `C:${layerIndex.get(n.layer)}`;
        if (!clusters.has(parent)) {
          clusters.add(parent);
          nodes.push({ key: parent, kind: 'layer-cluster', layer: n.layer, lines: [`${n.layer} (click to collapse)`] });
        }
      }
      if (n.fused) {
        const group = `g:${n.id}`;
        nodes.push({ key: group, kind: 'fused-group', lines: [`fused ${n.op}`], ...(parent ? { parent } : {}) });
        parent = group;
      }
      const mark = marks.get(n.id);
      nodes.push({ key, kind: 'op', node: n.id, lines: opLines(n), ...(parent ? { parent } : {}), ...(mark ? { mark } : {}) });
    }
    for (const v of n.inputs) {
      const from = v.node !== undefined ? keyOf.get(v.node) : inputKey.get(v.ref);
      if (from === undefined || from === key) continue;
      const id = `${from}->${key}`;
      const had = edges.get(id);
      edges.set(id, had ? { from, to: key } : { from, to: key, label: v.type });
    }
  }
  for (const [i, o] of step.outputs.entries()) {
    const key = `out:${i}`;
    nodes.push({ key, kind: 'output', lines: [o.name, o.value.type] });
    const from = o.value.node !== undefined ? keyOf.get(o.value.node) : inputKey.get(o.value.ref);
    if (from !== undefined) edges.set(`${from}->${key}`, { from, to: key, label: o.value.type });
  }
  return { nodes, edges: [...edges.values()] };
}
