// Grouped-query attention as views: where kv heads G divide query heads H = G·R, the head axis
// splits into [G, R] in q, the mask, and the result (row-major, so a reshape: q head g·R + r is
// [g, r]) and into [G, 1] in k and v. The attention kernel then reads k and v broadcast over R,
// which every backend's kernel already does, and no kernel copies a head.

import type { Dim, OpNode } from '@smelt/ir';

type AttentionNode = Extract<OpNode, { op: 'attention' }>;

/** The shapes q, k, v, mask and the result take with every grouped head axis split. */
export interface SplitHeads {
  readonly operands: readonly (readonly Dim[])[];
  readonly out: readonly Dim[];
}

/** Out batch axes where k or v is grouped: [axis, G, R]. */
function groupedAxes(n: AttentionNode): [number, number, number][] {
  const out = n.outputs[0].type.shape;
  const batch = out.length - 2;
  const found: [number, number, number][] = [];
  for (let a = 0; a < batch; a++) {
    const od = out[a];
    if (typeof od !== 'number') continue;
    for (const kv of n.inputs.slice(1, 3)) {
      const i = a - (out.length - kv.type.shape.length);
      const d = i >= 0 ? kv.type.shape[i] : 1;
      if (typeof d === 'number' && d !== 1 && d !== od) {
        found.push([a, d, od / d]);
        break;
      }
    }
  }
  return found;
}

/** `shape` (right-aligned against a result of rank `rank`) with each grouped axis split in two. */
function splitShape(shape: readonly Dim[], rank: number, axes: readonly [number, number, number][]): Dim[] {
  const off = rank - shape.length;
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    const g = axes.find(([a]) => a === i + off);
    if (!g) out.push(d);
    else if (d === 1) out.push(1, 1);
    else if (d === g[1]) out.push(g[1], 1);
    else out.push(g[1], g[2]);
  });
  return out;
}

/** The split shapes of a grouped attention node, or undefined when no kv head axis is grouped. */
export function splitGroupedHeads(n: AttentionNode): SplitHeads | undefined {
  const axes = groupedAxes(n);
  if (axes.length === 0) return undefined;
  const rank = n.outputs[0].type.shape.length;
  return {
    operands: n.inputs.map((v) => splitShape(v.type.shape, rank, axes)),
    out: splitShape(n.outputs[0].type.shape, rank, axes),
  };
}
