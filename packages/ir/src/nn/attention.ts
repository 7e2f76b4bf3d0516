// Multi-head attention exactly as torch.nn.MultiheadAttention computes it: packed in_proj
// (Q, K, V rows of one [3d, d] weight), heads split as a batch dim, softmax(q kᵀ·scale + mask) v,
// then out_proj. Masks are additive f32 tensors (see masks.ts). For cached decoding, keys and
// values also come in head layout [batch, heads, len, headDim]: `keyValues` computes them once
// (cross-attention over a memory), `step` grows a self-attention cache by the new positions.

import { BuildError } from '../builder.ts';
import { add, concat, split, type Var } from '../dsl.ts';
import type { Dim } from '../shape.ts';
import { Linear } from './basic.ts';
import type { Scope } from './scope.ts';

export interface AttentionMasks {
  /** Additive mask broadcastable to [batch, heads, queries, keys]. */
  readonly mask?: Var;
}

/** Keys and values in head layout [batch, heads, len, headDim]. */
export interface KeyValues {
  readonly k: Var;
  readonly v: Var;
}

export class MultiHeadAttention {
  readonly inProjWeight: Var;
  readonly inProjBias: Var;
  readonly outProj: Linear;
  readonly headDim: number;

  constructor(scope: Scope, readonly dModel: number, readonly nHead: number) {
    if (dModel % nHead !== 0) throw new BuildError(`MultiHeadAttention: dModel ${dModel} is not divisible by nHead ${nHead}`);
    this.headDim = dModel / nHead;
    this.inProjWeight = scope.param('in_proj_weight', [3 * dModel, dModel]);
    this.inProjBias = scope.param('in_proj_bias', [3 * dModel]);
    this.outProj = new Linear(scope.child('out_proj'), dModel, dModel);
  }

  /** Self-attention when key === query (one packed projection), cross-attention otherwise. */
  forward(query: Var, key: Var, { mask }: AttentionMasks = {}): Var {
    const d = this.dModel;
    let q: Var, k: Var, v: Var;
    if (key === query) {
      const qkv = query.matmul(this.inProjWeight, { transB: true }).add(this.inProjBias);
      [q, k, v] = split(qkv, [d, d, d], -1);
    } else {
      const [wq, wkv] = split(this.inProjWeight, [d, 2 * d], 0);
      const [bq, bkv] = split(this.inProjBias, [d, 2 * d], 0);
      q = query.matmul(wq, { transB: true }).add(bq);
      [k, v] = split(key.matmul(wkv, { transB: true }).add(bkv), [d, d], -1);
    }
    return this.attend(this.heads(q), { k: this.heads(k), v: this.heads(v) }, mask);
  }

  /** The keys and values of `key` (a memory) in head layout: cross-attention's cache, computed once. */
  keyValues(key: Var): KeyValues {
    const d = this.dModel;
    const [, wkv] = split(this.inProjWeight, [d, 2 * d], 0);
    const [, bkv] = split(this.inProjBias, [d, 2 * d], 0);
    const [k, v] = split(key.matmul(wkv, { transB: true }).add(bkv), [d, d], -1);
    return { k: this.heads(k), v: this.heads(v) };
  }

  /** Cross-attention of `query` over keys and values from `keyValues`. */
  attendTo(query: Var, kv: KeyValues, { mask }: AttentionMasks = {}): Var {
    const d = this.dModel;
    const [wq] = split(this.inProjWeight, [d, 2 * d], 0);
    const [bq] = split(this.inProjBias, [d, 2 * d], 0);
    return this.attend(this.heads(query.matmul(wq, { transB: true }).add(bq)), kv, mask);
  }

  /**
   * Self-attention of new positions [batch, new, d] over a cache of the `past` ones before them:
   * the cache grows by the new keys and values (`present`, length past + new). With one new
   * position no mask is needed: it sees every cached one and itself.
   */
  step(query: Var, past: KeyValues, { mask }: AttentionMasks = {}): { out: Var; present: KeyValues } {
    const d = this.dModel;
    const qkv = query.matmul(this.inProjWeight, { transB: true }).add(this.inProjBias);
    const [q, k, v] = split(qkv, [d, d, d], -1);
    const present = { k: concat([past.k, this.heads(k)], 2), v: concat([past.v, this.heads(v)], 2) };
    return { out: this.attend(this.heads(q), present, mask), present };
  }

  /** softmax(q kᵀ / sqrt(headDim) + mask) v over heads, merged and projected. */
  private attend(q: Var, { k, v }: KeyValues, mask: Var | undefined): Var {
    const scores = q.matmul(k, { transB: true }).mul(1 / Math.sqrt(this.headDim));
    const probs = (mask ? add(scores, mask) : scores).softmax(-1);
    return this.outProj.forward(this.merge(probs.matmul(v)));
  }

  /** [batch, len, d] → [batch, heads, len, headDim]. */
  private heads(x: Var): Var {
    const [batch, len] = x.shape as Dim[];
    return x.reshape([batch, len, this.nHead, this.headDim]).transpose([0, 2, 1, 3]);
  }

  /** [batch, heads, len, headDim] → [batch, len, d]. */
  private merge(x: Var): Var {
    const [batch, , len] = x.shape as Dim[];
    return x.transpose([0, 2, 1, 3]).reshape([batch, len, this.dModel]);
  }
}
