// One step's graph as SVG: the visible graph (src/graph-model.ts) laid out by dagre (a maintained
// layered-layout library, compound nodes for fused groups and expanded layers), then drawn: boxes,
// clusters, edges with their types. Clicking an op selects it; clicking a layer expands or
// collapses it.

import { Graph, layout } from '@dagrejs/dagre';
import type { VisGraph, VisNode } from '../src/graph-model.ts';
import { svg } from './dom.ts';

export interface GraphEvents {
  onSelect(node: number): void;
  onToggleLayer(layer: string): void;
}

const LINE = 14;
const CHAR = 6.7;

function boxSize(n: VisNode): { width: number; height: number } {
  const widest = Math.max(...n.lines.map((l) => Math.min(l.length, 48)));
  return { width: Math.max(60, widest * CHAR + 16), height: n.lines.length * LINE + 10 };
}

const clip = (s: string) => (s.length > 48 ? `${s.slice(0, 47)}…` : s);

/** Lay out and draw `vis`; `selected` is the trace node id to outline. */
export function drawGraph(vis: VisGraph, selected: number | undefined, events: GraphEvents): SVGSVGElement {
  const g = new Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 28, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const clusters = new Set(vis.nodes.flatMap((n) => (n.parent ? [n.parent] : [])));
  for (const n of vis.nodes) {
    g.setNode(n.key, clusters.has(n.key) ? { paddingTop: 22 } : boxSize(n));
  }
  for (const n of vis.nodes) if (n.parent) g.setParent(n.key, n.parent);
  for (const e of vis.edges) g.setEdge(e.from, e.to, { label: e.label ?? '' });
  layout(g);
  const size = g.graph() as { width?: number; height?: number };
  const width = Math.ceil(size.width ?? 100), height = Math.ceil(size.height ?? 100);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-test': 'graph' });
  const byKey = new Map(vis.nodes.map((n) => [n.key, n]));
  // Clusters first (outermost first), then edges, then boxes on top.
  const depth = (n: VisNode): number => (n.parent ? 1 + depth(byKey.get(n.parent)!) : 0);
  const clusterNodes = vis.nodes.filter((n) => clusters.has(n.key)).sort((a, b) => depth(a) - depth(b));
  for (const n of clusterNodes) {
    const p = g.node(n.key) as { x: number; y: number; width: number; height: number };
    const group = svg('g', { class: n.kind });
    group.append(svg('rect', { x: p.x - p.width / 2, y: p.y - p.height / 2 - 8, width: p.width, height: p.height + 8, rx: 6 }));
    const title = svg('text', { x: p.x - p.width / 2 + 6, y: p.y - p.height / 2 + 6 });
    title.textContent = clip(n.lines[0]);
    group.append(title);
    if (n.kind === 'layer-cluster') title.addEventListener('click', () => events.onToggleLayer(n.layer!));
    root.append(group);
  }
  for (const e of g.edges()) {
    const edge = g.edge(e) as { points: { x: number; y: number }[]; label?: string };
    const d = edge.points.map((pt, i) => `${i ? 'L' : 'M'}${pt.x.toFixed(1)},${pt.y.toFixed(1)}`).join(' ');
    const path = svg('path', { d, class: 'edge', 'marker-end': 'url(#smelt-arrow)' });
    if (edge.label) path.append(svg('title', {}, edge.label));
    root.append(path);
  }
  root.prepend(svg('defs', {}, svg('marker', { id: 'smelt-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8892a6' }))));
  for (const n of vis.nodes) {
    if (clusters.has(n.key)) continue;
    const p = g.node(n.key) as { x: number; y: number; width: number; height: number };
    const cls = [n.kind, n.mark ?? '', n.node !== undefined && n.node === selected ? 'sel' : ''].filter(Boolean).join(' ');
    const box = svg('g', { class: cls, 'data-key': n.key, ...(n.node !== undefined ? { 'data-node': n.node } : {}) });
    box.append(svg('rect', { x: p.x - p.width / 2, y: p.y - p.height / 2, width: p.width, height: p.height, rx: n.kind === 'input' || n.kind === 'output' ? 12 : 4 }));
    n.lines.forEach((line, i) => {
      const t = svg('text', { x: p.x, y: p.y - p.height / 2 + 5 + LINE * (i + 0.8), 'text-anchor': 'middle', ...(i === 0 ? { 'font-weight': 'bold' } : {}) });
      t.textContent = clip(line);
      box.append(t);
    });
    box.append(svg('title', {}, n.lines.join('\n')));
    if (n.kind === 'op') box.addEventListener('click', () => events.onSelect(n.node!));
    if (n.kind === 'layer') box.addEventListener('click', () => events.onToggleLayer(n.layer!));
    root.append(box);
  }
  return root;
}
