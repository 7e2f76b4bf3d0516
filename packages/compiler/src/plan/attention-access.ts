// How an attention kernel addresses its operands, in either layout and with grouped heads, as
// strides that every backend's kernel reads the same way. The kernel loops over logical batch
// items (the result's batch dims, heads last: bhsd order) and over query rows; for each operand it
// needs the element offset of a batch item (Σ coordinate · stride) and the distance between rows.
//
// Layouts: in bhsd an operand [..., H, L, d] has rows d apart and (batch, head) blocks L·d apart;
// in bshd, [..., L, H, d], a (b, h) block starts at b·L·H·d + h·d and its rows are H·d apart. The
// strides below are the physical row-major strides read in bhsd order, so one rule serves both.
//
// Grouped-query attention: where kv heads G divide query heads H = G·R (both known), the head axis
// splits into [G, R]: q, the result and the mask step R·s and s (query head g·R + r), k and v step
// s and 0 (kv head g serves its R query heads). Broadcast dims step 0. No backend has GQA code and
// no kernel copies a head.

import { type AttentionLayout, type Dim, headSwapPerm } from '@smelt/ir';
import type { Kernel } from './kernel-plan.ts';

/** What addressing needs of an attention kernel: its buffers and layout. */
type AttentionKernel = Pick<Extract<Kernel, { kind: 'attention' }>, 'q' | 'k' | 'v' | 'out' | 'mask' | 'layout'>;

/** An element stride: a product of dims ([] is 1), or null for 0 (the operand broadcasts there). */
export type Stride = readonly Dim[] | null;

export interface AttentionOperand {
  /** Per logical batch axis (AttentionAccess.batch). */
  readonly batch: readonly Stride[];
  /** From one row (query, or key for k and v) to the next. */
  readonly row: Stride;
}

export interface AttentionAccess {
  /** The logical batch axes: the result's batch dims in bhsd order, each grouped head axis split in [G, R]. */
  readonly batch: readonly Dim[];
  readonly lq: Dim;
  readonly lk: Dim;
  readonly depth: Dim;
  readonly dv: Dim;
  /** q, k, v and the result: their depth (or value) axis is contiguous. */
  readonly q: AttentionOperand;
  readonly k: AttentionOperand;
  readonly v: AttentionOperand;
  readonly out: AttentionOperand;
  /** The mask (the scores' shape [..., H, Lq, Lk], broadcast): `row` per query, `col` per key. */
  readonly mask?: AttentionOperand & { readonly col: Stride };
}

/** Row-major strides of `shape` as products of dims. */
function rowMajor(shape: readonly Dim[]): Dim[][] {
  const out: Dim[][] = [];
  let acc: Dim[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = acc;
    acc = [shape[i], ...acc];
  }
  return out;
}

/** A shape and its strides read in bhsd order (heads before rows). */
interface Read {
  readonly shape: readonly Dim[];
  readonly strides: readonly Dim[][];
}

function readAs(shape: readonly Dim[], layout: AttentionLayout | 'scores'): Read {
  const strides = rowMajor(shape);
  if (layout !== 'bshd') return { shape, strides };
  const perm = headSwapPerm(shape.length);
  return { shape: perm.map((p) => shape[p]), strides: perm.map((p) => strides[p]) };
}

/** A stride unless the operand broadcasts along an axis of extent `size`. */
const along = (r: Read, i: number, size: Dim): Stride => (i < 0 || (r.shape[i] === 1 && size !== 1) ? null : r.strides[i]);

/** Out batch axes where k or v holds fewer (dividing) heads: axis → G. */
function groups(batch: readonly Dim[], kv: readonly Read[]): Map<number, number> {
  const found = new Map<number, number>();
  batch.forEach((od, a) => {
    for (const r of kv) {
      const i = a - (batch.length - (r.shape.length - 2));
      const d = i >= 0 ? r.shape[i] : 1;
      if (typeof od === 'number' && typeof d === 'number' && d !== 1 && d !== od) {
        found.set(a, d);
        return;
      }
    }
  });
  return found;
}

/** An operand's strides over the logical batch axes: `inner` dims after its batch dims (2 for q, k, v; 2 for the mask). */
function batchStrides(r: Read, batch: readonly Dim[], grouped: ReadonlyMap<number, number>): Stride[] {
  const own = r.shape.length - 2;
  const out: Stride[] = [];
  batch.forEach((size, a) => {
    const i = a - (batch.length - own);
    const s = along(r, i, size);
    const g = grouped.get(a);
    if (g === undefined) out.push(s);
    else if (s === null) out.push(null, null);
    else if (r.shape[i] === g) out.push(s, null);
    else out.push([(size as number) / g, ...s], s);
  });
  return out;
}

/** How the kernel reads q, k, v and the mask and writes the result (`shape` gives a plan buffer's shape). */
export function attentionAccess(k: AttentionKernel, shape: (id: number) => readonly Dim[]): AttentionAccess {
  const [q, key, v, out] = [k.q, k.k, k.v, k.out].map((id) => readAs(shape(id), k.layout));
  const batch = out.shape.slice(0, -2);
  const grouped = groups(batch, [key, v]);
  const logical = batch.flatMap((d, a) => (grouped.has(a) ? [grouped.get(a)!, (d as number) / grouped.get(a)!] : [d]));
  const operand = (r: Read, rows: Dim): AttentionOperand => ({ batch: batchStrides(r, batch, grouped), row: along(r, r.shape.length - 2, rows) });
  const [lq, lk] = [q.shape.at(-2)!, key.shape.at(-2)!];
  const access = {
    batch: logical, lq, lk, depth: q.shape.at(-1)!, dv: v.shape.at(-1)!,
    q: operand(q, lq), k: operand(key, lk), v: operand(v, lk), out: operand(out, lq),
  };
  if (k.mask === undefined) return access;
  const mask = readAs(shape(k.mask), 'scores');
  const padded: Read = mask.shape.length >= 2 ? mask : { shape: [1, 1, ...mask.shape].slice(-2), strides: [[], [], ...mask.strides].slice(-2) };
  return { ...access, mask: { ...operand(padded, lq), col: along(padded, padded.shape.length - 1, lk) } };
}
