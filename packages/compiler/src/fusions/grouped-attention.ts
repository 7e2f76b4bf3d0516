// Fusion: grouped-query attention reads kv heads directly. The DSL's repeatKv (Hugging Face's
// repeat_kv) writes each kv head out n times as reshape → expand → reshape; attention takes kv heads
// that divide the query heads (ops/attention.ts), so the repeat goes and no kernel copies a head.
// Multi-query attention (one kv head) becomes a plain broadcast.

import { type Dim, type Node, type Value, producer, shapesEqual } from '@smelt/ir';
import type { Rewriter, Rule } from '../rewrite.ts';

/**
 * When `v` is reshape(expand(reshape(x))) taking [..., G, L, D] through [..., G, 1, L, D] and
 * [..., G, n, L, D] to [..., G·n, L, D]: the shape [..., G, L, D] and x (of that many elements).
 */
function repeatedKv(v: Value): { x: Value; shape: Dim[] } | undefined {
  const outer = producer(v);
  const ex = outer?.op === 'reshape' ? producer(outer.inputs[0]) : undefined;
  const inner = ex?.op === 'expand' ? producer(ex.inputs[0]) : undefined;
  if (inner?.op !== 'reshape') return undefined;
  const one = inner.outputs[0].type.shape;
  const wide = ex!.outputs[0].type.shape;
  const out = v.type.shape;
  const r = one.length;
  if (r < 4 || wide.length !== r || out.length !== r - 1) return undefined;
  const [g, unit, l, d] = one.slice(-4);
  const [gw, n, lw, dw] = wide.slice(-4);
  const lead = one.slice(0, -4);
  const sameLead = shapesEqual(lead, wide.slice(0, -4)) && shapesEqual(lead, out.slice(0, -3));
  const heads = typeof g === 'number' && typeof n === 'number' && out[r - 4] === g * n;
  if (unit !== 1 || gw !== g || lw !== l || dw !== d || !sameLead || !heads || !shapesEqual(out.slice(-2), [l, d])) return undefined;
  return { x: inner.inputs[0], shape: [...lead, g, l, d] };
}

/** The kv operand without its repeat: x itself, or a view of it in [..., G, L, D]. */
function unrepeated(rw: Rewriter, at: Node, v: Value): Value | undefined {
  const found = repeatedKv(v);
  if (!found) return undefined;
  if (shapesEqual(found.x.type.shape, found.shape)) return found.x;
  return rw.insertBefore(at, 'reshape', [found.x], { shape: found.shape })[0];
}

// attention(q, repeat_kv(k), repeat_kv(v), m) → attention(q, k, v, m)   (kv heads grouped)
export const groupedAttention: Rule = {
  name: 'grouped-attention',
  law: 'attention(q, repeat_kv(k), repeat_kv(v), m) → attention(q, k, v, m)',
  apply(n, rw) {
    if (n.op !== 'attention') return false;
    const att = n as Node<'attention'>;
    let changed = false;
    for (const slot of [1, 2]) {
      const x = unrepeated(rw, n, att.inputs[slot]);
      if (!x) continue;
      rw.setInput(att, slot, x);
      changed = true;
    }
    return changed;
  },
};
