// Multi-head attention: project (projections.ts: torch's packed in_proj, GPT-2's Conv1D, or Hugging
// Face's separate q/k/v/o), split heads as a batch dim, softmax(q kᵀ·scale + mask) v, merge, project
// out. With the defaults it is exactly torch.nn.MultiheadAttention. With kvHeads < nHead it is
// grouped-query attention (Hugging Face's repeat_kv order; caches hold kvHeads heads). Masks are
// additive f32 tensors (masks.ts); `causal` adds nn.causalMask to self-attention, which the
// compiler turns into the attention op's causal flag; `rotary` rotates queries and keys (RoPE)
// before they join the cache. For cached decoding, keys and values also come in head layout
// [batch, kvHeads, len, headDim]: `keyValues` computes them once (cross-attention over a memory),
// `step` grows a self-attention cache by the new positions (and with no cache starts one).

import { BuildError } from '../builder.ts';
import { add, concat, type Var } from '../dsl.ts';
import { repeatKv } from '../dsl-ops.ts';
import type { Dim } from '../shape.ts';
import { causalMask } from './masks.ts';
import type { RotaryEmbedding } from './rotary.ts';
import { makeProjections, type ProjectionLayout, type Projections } from './projections.ts';
import type { Scope } from './scope.ts';

export interface AttentionMasks {
  /** Additive mask broadcastable to [batch, heads, queries, keys]. */
  readonly mask?: Var;
}

/** Keys and values in head layout [batch, kvHeads, len, headDim]. */
export interface KeyValues {
  readonly k: Var;
  readonly v: Var;
}

export interface AttentionOptions {
  /** Where the projections live and what they are called (default: torch's packed in_proj). */
  readonly layout?: ProjectionLayout;
  /** Key/value heads; fewer than nHead (dividing it) is grouped-query attention. Default: nHead. */
  readonly kvHeads?: number;
  /** Self-attention sees only keys at or before each query's position. */
  readonly causal?: boolean;
  /** Rotary position embeddings on queries and keys (self-attention; positions start at the cache's length). */
  readonly rotary?: RotaryEmbedding;
}

export class MultiHeadAttention {
  readonly headDim: number;
  readonly kvHeads: number;
  readonly causal: boolean;
  readonly rotary: RotaryEmbedding | undefined;
  readonly projections: Projections;

  constructor(scope: Scope, readonly dModel: number, readonly nHead: number, options: AttentionOptions = {}) {
    if (dModel % nHead !== 0) throw new BuildError(`MultiHeadAttention: dModel ${dModel} is not divisible by nHead ${nHead}`);
    this.kvHeads = options.kvHeads ?? nHead;
    if (!Number.isSafeInteger(this.kvHeads) || this.kvHeads < 1 || nHead % this.kvHeads !== 0) {
      throw new BuildError(`MultiHeadAttention: kvHeads ${this.kvHeads} must be a positive integer dividing nHead ${nHead}`);
    }
    this.headDim = dModel / nHead;
    this.causal = options.causal ?? false;
    this.rotary = options.rotary;
    this.projections = makeProjections(scope, options.layout ?? 'packed', { dModel, q: dModel, kv: this.kvHeads * this.headDim });
  }

  /** Self-attention when key === query (one packed projection), cross-attention otherwise. */
  forward(query: Var, key: Var, { mask }: AttentionMasks = {}): Var {
    if (key === query) return this.step(query, undefined, { mask }).out;
    if (this.causal || this.rotary) throw new BuildError(`MultiHeadAttention: ${this.causal ? 'causal' : 'rotary'} attention is self-attention (key must be query)`);
    const [k, v] = this.projections.kv(key);
    return this.attend(this.heads(this.projections.q(query), this.nHead), { k: this.heads(k, this.kvHeads), v: this.heads(v, this.kvHeads) }, mask);
  }

  /** The keys and values of `key` (a memory) in head layout: cross-attention's cache, computed once. */
  keyValues(key: Var): KeyValues {
    const [k, v] = this.projections.kv(key);
    return { k: this.heads(k, this.kvHeads), v: this.heads(v, this.kvHeads) };
  }

  /** Cross-attention of `query` over keys and values from `keyValues`. */
  attendTo(query: Var, kv: KeyValues, { mask }: AttentionMasks = {}): Var {
    return this.attend(this.heads(this.projections.q(query), this.nHead), kv, mask);
  }

  /**
   * Self-attention of new positions [batch, new, d] after a cache of the `past` ones before them:
   * the cache grows by the new keys and values (`present`, length past + new). Without a cache,
   * `present` holds the new ones only (a cache's first fill). Causal attention after a cache takes
   * one new position, which sees every cached one and itself, so it needs no mask.
   */
  step(query: Var, past: KeyValues | undefined, { mask }: AttentionMasks = {}): { out: Var; present: KeyValues } {
    let [q, k, v] = this.projections.qkv(query).map((x, i) => this.heads(x, i === 0 ? this.nHead : this.kvHeads));
    if (this.rotary) {
      const start = past ? (past.k.shape[2] as Dim) : 0;
      [q, k] = [this.rotary.apply(q, start), this.rotary.apply(k, start)];
    }
    const present = past ? { k: concat([past.k, k], 2), v: concat([past.v, v], 2) } : { k, v };
    if (this.causal && past && query.shape[1] !== 1) {
      throw new BuildError(`MultiHeadAttention: a causal step after a cache takes one new position, got ${String(query.shape[1])}`);
    }
    const causal = this.causal && !past ? causalMask(query.b, query.shape[1] as Dim) : undefined;
    return { out: this.attend(q, present, causal && mask ? add(causal, mask) : causal ?? mask), present };
  }

  /**
   * softmax(q kᵀ / sqrt(headDim) + mask) v over heads, merged and projected. Under grouped-query
   * attention each kv head serves nHead / kvHeads query heads: `repeatKv` writes the repeat the way
   * the compiler's fuse-grouped-attention folds into the attention op (no copy of a head is made).
   */
  private attend(q: Var, kv: KeyValues, mask: Var | undefined): Var {
    const [k, v] = [kv.k, kv.v].map((t) => repeatKv(t, this.nHead / this.kvHeads));
    const scores = q.matmul(k, { transB: true }).mul(1 / Math.sqrt(this.headDim));
    const probs = (mask ? add(scores, mask) : scores).softmax(-1);
    return this.projections.out(this.merge(probs.matmul(v)));
  }

  /** [batch, len, n · headDim] → [batch, n, len, headDim]. */
  private heads(x: Var, n: number): Var {
    const [batch, len] = x.shape as Dim[];
    return x.reshape([batch, len, n, this.headDim]).transpose([0, 2, 1, 3]);
  }

  /** [batch, heads, len, headDim] → [batch, len, d]. */
  private merge(x: Var): Var {
    const [batch, , len] = x.shape as Dim[];
    return x.transpose([0, 2, 1, 3]).reshape([batch, len, this.dModel]);
  }
}
