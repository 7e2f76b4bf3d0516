// Fusion: attention reads and writes the head-interleaved layout, so the head split and merge
// transposes go. A Transformer's projections make [..., L, H, d] (a reshape of [..., L, H·d], free);
// attention in bhsd wants [..., H, L, d], so each of q, k, v is transposed in (a copy kernel) and
// the result transposed back out. Attention in layout bshd reads [..., L, H, d] with strided rows
// (plan/attention-access.ts), so the whole pattern becomes one kernel. It fires only when every
// piece matches — q, k and v each a transpose that swaps the row axis and the head axis before it
// (perm [..., r, r-1, d]) read by this attention alone, and the result read only through that
// transpose — so no graph is left half folded.

import { type Node, type Value, attentionLayout, headSwapPerm, producer } from '@smelt/ir';
import type { Rewriter, Rule } from '../rewrite.ts';

/** True when `node` swaps the row axis and the head axis before it (rank >= 3). */
function swapsHeads(node: Node): node is Node<'transpose'> {
  if (node.op !== 'transpose') return false;
  const { perm } = (node as Node<'transpose'>).attrs;
  const want = perm.length >= 3 ? headSwapPerm(perm.length) : undefined;
  return want !== undefined && perm.every((p, i) => p === want[i]);
}

/** x when `v` is the head swap of x and only `att` reads it (in one slot or several). */
function unswapped(rw: Rewriter, att: Node, v: Value): Value | undefined {
  const t = producer(v);
  if (!t || !swapsHeads(t)) return undefined;
  const slots = att.inputs.filter((x) => x === v).length;
  return rw.useCount(v) === slots && rw.users(v).every((u) => u === att) ? t.inputs[0] : undefined;
}

/** The head swaps that read the result, when they are all its readers (and it is no graph output). */
function swappedOut(rw: Rewriter, y: Value): Node<'transpose'>[] | undefined {
  const users = rw.users(y);
  if (users.length === 0 || rw.useCount(y) !== users.length) return undefined;
  return users.every(swapsHeads) ? (users as Node<'transpose'>[]) : undefined;
}

// T(attention(T(q), T(k), T(v), m)) → attention(q, k, v, m) {layout = bshd}   (T swaps the row and head axes)
export const headLayoutAttention: Rule = {
  name: 'head-layout-attention',
  law: 'T(attention(T(q), T(k), T(v), m)) → attention(q, k, v, m) {layout = bshd}   (T: transpose swapping the row axis and the head axis)',
  apply(n, rw) {
    if (n.op !== 'attention') return false;
    const att = n as Node<'attention'>;
    if (attentionLayout(att.attrs) !== 'bhsd') return false;
    const qkv = att.inputs.slice(0, 3).map((v) => unswapped(rw, att, v));
    const outs = swappedOut(rw, att.outputs[0]);
    if (!outs || qkv.some((x) => x === undefined)) return false;
    const { scale, causal } = att.attrs;
    const [y] = rw.insertBefore(att, 'attention', [...(qkv as Value[]), ...att.inputs.slice(3)], { scale, causal, layout: 'bshd' });
    for (const t of outs) rw.replace(t.outputs[0], y);
    return true;
  },
};
