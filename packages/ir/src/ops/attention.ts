// The fused attention op, softmax(q kᵀ · scale + mask, causal) v, with grouped-query and
// multi-query attention: a batch dim of k and v (the kv heads) may divide q's (the query heads),
// query head h then reading kv head ⌊h / (Hq / Hkv)⌋, the order of Hugging Face's repeat_kv
// (each kv head repeated for consecutive query heads). Other batch dims broadcast as in matmul.
// `layout` says where the head axis (the last batch axis) sits: bhsd, [..., H, L, d] (the default),
// or bshd, [..., L, H, d] in q, k, v and the result alike (the layout of the projections before
// the head split, so no transpose copies the heads out and back); the mask keeps the scores' shape
// [..., H, Lq, Lk] in both.

import { type Dim, type TensorType, broadcastShapes, formatDims } from '../shape.ts';
import { type Tensor, numel, stridesOf } from '../tensor.ts';
import { checkMask, scaledScores } from './fused.ts';
import { matmulRef } from './matmul.ts';
import { transposeRef } from './movement.ts';
import { describe, requireDTypes } from './ref-util.ts';
import { ROW_OPS } from './rows.ts';
import type { AttentionLayout, OpAttrs, OpDef } from './types.ts';

/** The layout of an attention node's attributes: bhsd when none is written. */
export function attentionLayout(attrs: OpAttrs['attention']): AttentionLayout {
  return attrs.layout ?? 'bhsd';
}

/** The perm that swaps the row axis and the head axis before it (axes -2 and -3): bshd ⇄ bhsd, its own inverse. */
export function headSwapPerm(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 3], perm[rank - 2]] = [perm[rank - 2], perm[rank - 3]];
  return perm;
}

function swapHeads(t: TensorType): TensorType {
  return { dtype: t.dtype, shape: headSwapPerm(t.shape.length).map((p) => t.shape[p]) };
}

/** A kv batch dim seen against the query's: grouped (it divides a larger known head count) counts as the query's. */
function alignKv(kv: readonly Dim[], q: readonly Dim[], what: string): Dim[] {
  const off = q.length - kv.length;
  return kv.map((d, i) => {
    const qd = q[i + off];
    if (i + off < 0 || typeof d !== 'number' || typeof qd !== 'number' || d === qd || d === 1 || qd === 1) return d;
    if (qd % d !== 0) throw new Error(`${what} heads ${d} do not divide the query heads ${qd}`);
    return qd;
  });
}

export interface AttentionDims {
  /** The result's batch dims (the query's, kv heads grouped under them). */
  readonly batch: Dim[];
  readonly lq: Dim;
  readonly lk: Dim;
  readonly dv: Dim;
}

/**
 * The shape rule of attention(q, k, v): in bhsd q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv]; in
 * bshd q [..., Lq, H, d], k [..., Lk, Hk, d], v [..., Lk, Hk, dv]. The batch dims are bhsd's (heads last).
 */
export function attentionDims(q: TensorType, k: TensorType, v: TensorType, layout: AttentionLayout = 'bhsd'): AttentionDims {
  if (layout === 'bhsd') return headMajorDims(q, k, v);
  if (q.shape.length < 3 || k.shape.length < 3 || v.shape.length < 3) {
    throw new Error(`layout bshd needs q [..., Lq, H, d], k [..., Lk, Hk, d] and v [..., Lk, Hk, dv] (rank >= 3), got ${describe([q, k, v])}`);
  }
  try {
    return headMajorDims(swapHeads(q), swapHeads(k), swapHeads(v));
  } catch (e) {
    throw new Error(`layout bshd, ${describe([q, k, v])} read as [..., H, L, d]: ${(e as Error).message}`);
  }
}

function headMajorDims(q: TensorType, k: TensorType, v: TensorType): AttentionDims {
  requireDTypes([q, k, v], ['f32'], 'attention');
  if (q.shape.length < 2 || k.shape.length < 2 || v.shape.length < 2) throw new Error(`q, k and v need rank >= 2, got ${describe([q, k, v])}`);
  const [lq, d] = q.shape.slice(-2);
  const [lk, dk] = k.shape.slice(-2);
  if (d !== dk) throw new Error(`q and k differ in depth: ${d} vs ${dk} (${describe([q, k])})`);
  if (v.shape[v.shape.length - 2] !== lk) throw new Error(`k and v differ in length: ${lk} vs ${v.shape[v.shape.length - 2]} (${describe([k, v])})`);
  const qb = q.shape.slice(0, -2);
  const kb = alignKv(k.shape.slice(0, -2), qb, 'key');
  const vb = alignKv(v.shape.slice(0, -2), qb, 'value');
  let batch: Dim[];
  try {
    batch = broadcastShapes([qb, kb, vb]);
  } catch {
    throw new Error(`batch dims do not broadcast: ${describe([q, k, v])}`);
  }
  return { batch, lq, lk, dv: v.shape[v.shape.length - 1] };
}

/** `t` ([...b, r, c]) with its batch dims brought to `batch`: broadcast where 1, grouped where they divide. */
export function toAttentionBatch(t: Tensor, batch: readonly number[]): Tensor {
  const [r, c] = t.shape.slice(-2);
  const own = t.shape.slice(0, -2);
  if (own.length === batch.length && own.every((d, i) => d === batch[i])) return t;
  const off = batch.length - own.length;
  const strides = stridesOf(own);
  const mat = r * c;
  const out = new Float32Array(numel(batch) * mat);
  const src = t.data as Float32Array;
  for (let bi = 0; bi < numel(batch); bi++) {
    let rem = bi;
    let from = 0;
    for (let a = batch.length - 1; a >= 0; a--) {
      const coord = rem % batch[a];
      rem = (rem - coord) / batch[a];
      const i = a - off;
      if (i >= 0 && own[i] !== 1) from += Math.floor(coord / (batch[a] / own[i])) * strides[i];
    }
    out.set(src.subarray(from * mat, from * mat + mat), bi * mat);
  }
  return { dtype: 'f32', shape: [...batch, r, c], data: out };
}

const attention: OpDef<'attention'> = {
  summary: 'softmax(q kᵀ * scale + mask, causal) v over the rows and depth; heads are a batch dim (layout bhsd [..., H, L, d] or bshd [..., L, H, d]), kv heads may divide query heads (grouped-query)',
  example: '%4 = attention(%0, %1, %2, %3) {scale = 0.125, causal = false, layout = "bshd"} : f32[batch, seq, 8, 64]',
  traits: ['fused', 'contraction'],
  operands: [3, 4],
  attrs: { scale: { kind: 'float' }, causal: { kind: 'bool' }, layout: { kind: 'enum', values: ['bhsd', 'bshd'], default: 'bhsd' } },
  infer([q, k, v, mask], attrs) {
    const layout = attentionLayout(attrs);
    const { batch, lq, lk, dv } = attentionDims(q, k, v, layout);
    const scores: TensorType = { dtype: 'f32', shape: [...batch, lq, lk] };
    try {
      checkMask(scores, mask);
    } catch (e) {
      throw new Error(`${(e as Error).message} (the scores of ${describe([q, k])} in layout ${layout} are ${formatDims(scores.shape)})`);
    }
    const out: TensorType = { dtype: 'f32', shape: [...batch, lq, dv] };
    return [layout === 'bshd' ? swapHeads(out) : out];
  },
  evaluate([q, k, v, mask], attrs) {
    if (attentionLayout(attrs) === 'bshd') {
      // bshd means bhsd with the head and row axes swapped in every operand but the mask, and in the result.
      const [tq, tk, tv] = [q, k, v].map((t) => transposeRef(t, headSwapPerm(t.shape.length)));
      const [y] = attention.evaluate(mask ? [tq, tk, tv, mask] : [tq, tk, tv], { ...attrs, layout: 'bhsd' }, new Map());
      return [transposeRef(y, headSwapPerm(y.shape.length))];
    }
    const { batch } = attentionDims(q, k, v);
    const b = batch as number[];
    const scores = matmulRef(toAttentionBatch(q, b), toAttentionBatch(k, b), false, true);
    const masked: Tensor = { dtype: 'f32', shape: scores.shape, data: Float32Array.from(scaledScores(scores, attrs.scale, mask, attrs.causal)) };
    const [p] = ROW_OPS.softmax.evaluate([masked], { axis: -1 }, new Map());
    return [matmulRef(p, toAttentionBatch(v, b), false, false)];
  },
};

export const ATTENTION_OPS = { attention } as const;
