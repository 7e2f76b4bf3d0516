// The viewer's data side: what a step draws with layers collapsed or expanded, what a pass
// added, removed or changed, and that the committed viewer bundle is what ui/ builds to.

import { describe, expect, it } from 'vitest';
import { parseGraph } from '@smelt/ir';
import { compileWithTrace } from '@smelt/compiler';
import { bundleModule, bundleViewer } from '../scripts/embed.ts';
import { compactTrace, expandTrace } from './compact.ts';
import { defaultCollapsed, diffSteps, layersOf, visibleGraph } from './graph-model.ts';
import { VIEWER_JS } from './viewer-bundle.ts';

const TWO_LAYERS = `graph @g {
  input %x : f32[batch, 4]
  param %layers.0.w : f32[4, 4]
  param %layers.0.b : f32[4]
  param %layers.1.w : f32[4, 4]
  param %layers.1.b : f32[4]
  %0 = matmul(%x, %layers.0.w) {transA = false, transB = true} : f32[batch, 4]
  %1 = add(%0, %layers.0.b) : f32[batch, 4]
  %2 = tanh(%1) : f32[batch, 4]
  %3 = matmul(%2, %layers.1.w) {transA = false, transB = true} : f32[batch, 4]
  %4 = add(%3, %layers.1.b) : f32[batch, 4]
  %5 = add(%4, %2) : f32[batch, 4]
  output y = %5
}
`;

const { trace } = compileWithTrace(parseGraph(TWO_LAYERS));
const built = trace.steps[0];
const last = trace.steps.at(-1)!;

describe('visible graph', () => {
  it('draws every op inside its layer cluster when expanded', () => {
    const vis = visibleGraph(built, new Set());
    expect(layersOf(built)).toEqual(['layers.0', 'layers.1']);
    expect(vis.nodes.map((n) => `${n.kind}:${n.key}${n.parent ? `<${n.parent}` : ''}`)).toEqual([
      'input:in:0', 'layer-cluster:C:0', 'op:n:0<C:0', 'op:n:1<C:0', 'op:n:2<C:0', 'layer-cluster:C:1', 'op:n:3<C:1', 'op:n:4<C:1', 'op:n:5<C:1', 'output:out:0',
    ]);
    expect(vis.edges).toContainEqual({ from: 'n:2', to: 'n:5', label: 'f32[batch, 4]' });
  });

  it('folds a collapsed layer into one box and merges its edges', () => {
    const vis = visibleGraph(built, new Set(['layers.0']));
    const box = vis.nodes.find((n) => n.key === 'L:0')!;
    expect(box).toMatchObject({ kind: 'layer', layer: 'layers.0', lines: ['layers.0', '3 ops', '(click to expand)'] });
    expect(vis.nodes.filter((n) => n.kind === 'op').map((n) => n.node)).toEqual([3, 4, 5]);
    // layers.0 → matmul and layers.0 → residual add: one edge each, no edge inside the box.
    expect(vis.edges.filter((e) => e.from === 'L:0').map((e) => e.to)).toEqual(['n:3', 'n:5']);
    expect(vis.edges).toContainEqual({ from: 'in:0', to: 'L:0', label: 'f32[batch, 4]' });
  });

  it('draws a fused op inside its group, and collapses everything only for big graphs', () => {
    const vis = visibleGraph(last, new Set());
    const linear = vis.nodes.find((n) => n.kind === 'op' && n.lines[0] === 'linear')!;
    expect(vis.nodes.find((n) => n.key === linear.parent)).toMatchObject({ kind: 'fused-group', lines: ['fused linear'] });
    expect(defaultCollapsed(last, built)).toEqual(new Set());
    const big = { ...built, nodes: Array.from({ length: 121 }, (_, i) => ({ ...built.nodes[0], id: i, layer: `h.${i % 3}` })) };
    expect(defaultCollapsed(last, big)).toEqual(new Set(['layers.0', 'layers.1']));
  });

  it('marks what a pass added, removed and changed, also on a collapsed layer', () => {
    const d = diffSteps(built, last);
    expect([...d.before.values()].every((m) => m === 'removed')).toBe(true);
    expect(d.before.size).toBe(built.nodes.length - [...d.before.keys()].filter((id) => last.nodes.some((n) => n.id === id)).length);
    expect([...d.after.values()]).toContain('added');
    const vis = visibleGraph(built, new Set(['layers.1']), d.before);
    expect(vis.nodes.find((n) => n.key === 'L:1')?.mark).toBe('removed');
    const canon = trace.steps.find((s) => s.pass === 'canonicalize')!;
    expect(diffSteps(built, canon)).toEqual({ before: new Map(), after: new Map() });
  });
});

describe('standalone page data', () => {
  it('stores an unchanged step as a pointer and restores it', () => {
    const compact = compactTrace(trace);
    expect(compact.steps.filter((s) => 'sameAs' in s).length).toBe(trace.steps.filter((s, i) => i > 0 && !s.changed).length);
    expect(expandTrace(JSON.parse(JSON.stringify(compact)))).toEqual(JSON.parse(JSON.stringify(trace)));
  });

  it('the committed bundle is what ui/ builds to (pnpm embed writes it)', { timeout: 60_000 }, async () => {
    const js = await bundleViewer();
    expect(js).toBe(VIEWER_JS);
    expect(bundleModule(js)).toContain('export const VIEWER_JS = ');
  });
});
