// Where an attention layer keeps its query, key, value and output projections, under the names the
// usual checkpoints give them: torch's packed `in_proj_weight` (nn.MultiheadAttention), GPT-2's
// packed Conv1D `c_attn` / `c_proj` (weights stored [in, out]), or one Linear each (Hugging Face's
// `q_proj`/`k_proj`/`v_proj`/`o_proj`, or any other names, such as BERT's `self.query`). The sizes
// are the query width (heads × headDim) and the key/value width (kvHeads × headDim, smaller under
// grouped-query attention). Self-attention over a packed weight is one matmul then a split.

import { BuildError } from '../builder.ts';
import { split, type Var } from '../dsl.ts';
import { Conv1D, Linear } from './basic.ts';
import type { Scope } from './scope.ts';

/** Names (paths under the attention's scope) of separate projections. */
export interface SeparateNames {
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly o: string;
}

/** Hugging Face's names (Llama, Mistral, BART, …). */
export const HF_PROJECTION_NAMES: SeparateNames = { q: 'q_proj', k: 'k_proj', v: 'v_proj', o: 'o_proj' };

/**
 * `packed`: torch's in_proj_weight [q + 2 kv, d] and in_proj_bias, out_proj (the default);
 * `conv1d`: GPT-2's c_attn [d, q + 2 kv] and c_proj [q, d], both with bias;
 * `separate`: one Linear per projection under the given names, with or without biases.
 */
export type ProjectionLayout = 'packed' | 'conv1d' | { readonly separate: SeparateNames; readonly bias: boolean };

/** The four projections of an attention layer, from [batch, len, d] to [batch, len, width] and back. */
export interface Projections {
  /** Queries, keys and values of the same input (self-attention). */
  qkv(x: Var): [Var, Var, Var];
  q(x: Var): Var;
  kv(x: Var): [Var, Var];
  out(x: Var): Var;
}

interface Widths {
  readonly dModel: number;
  /** heads × headDim */
  readonly q: number;
  /** kvHeads × headDim */
  readonly kv: number;
}

/** One weight holding q, k and v (rows for torch's [out, in], columns for Conv1D's [in, out]). */
class PackedProjections implements Projections {
  private readonly weight: Var;
  private readonly bias: Var;
  private readonly output: Linear | Conv1D;
  private readonly transB: boolean;
  private readonly axis: number;

  constructor(scope: Scope, private readonly w: Widths, conv1d: boolean) {
    const total = w.q + 2 * w.kv;
    this.transB = !conv1d;
    this.axis = conv1d ? 1 : 0;
    this.weight = conv1d ? scope.param('c_attn.weight', [w.dModel, total]) : scope.param('in_proj_weight', [total, w.dModel]);
    this.bias = scope.param(conv1d ? 'c_attn.bias' : 'in_proj_bias', [total]);
    this.output = conv1d ? new Conv1D(scope.child('c_proj'), w.q, w.dModel) : new Linear(scope.child('out_proj'), w.q, w.dModel);
  }

  qkv(x: Var): [Var, Var, Var] {
    const [q, k, v] = split(x.matmul(this.weight, { transB: this.transB }).add(this.bias), [this.w.q, this.w.kv, this.w.kv], -1);
    return [q, k, v];
  }

  q(x: Var): Var {
    return this.part(x, 0);
  }

  kv(x: Var): [Var, Var] {
    const [k, v] = split(this.part(x, 1), [this.w.kv, this.w.kv], -1);
    return [k, v];
  }

  out(x: Var): Var {
    return this.output.forward(x);
  }

  /** x times the query part (0) or the key-value part (1) of the packed weight. */
  private part(x: Var, which: 0 | 1): Var {
    const sizes = [this.w.q, 2 * this.w.kv];
    const weight = split(this.weight, sizes, this.axis)[which];
    const bias = split(this.bias, sizes, 0)[which];
    return x.matmul(weight, { transB: this.transB }).add(bias);
  }
}

class SeparateProjections implements Projections {
  private readonly linears: { readonly [P in keyof SeparateNames]: Linear };

  constructor(scope: Scope, w: Widths, names: SeparateNames, bias: boolean) {
    this.linears = {
      q: new Linear(scope.child(names.q), w.dModel, w.q, bias),
      k: new Linear(scope.child(names.k), w.dModel, w.kv, bias),
      v: new Linear(scope.child(names.v), w.dModel, w.kv, bias),
      o: new Linear(scope.child(names.o), w.q, w.dModel, bias),
    };
  }

  qkv(x: Var): [Var, Var, Var] {
    return [this.q(x), ...this.kv(x)];
  }

  q(x: Var): Var {
    return this.linears.q.forward(x);
  }

  kv(x: Var): [Var, Var] {
    return [this.linears.k.forward(x), this.linears.v.forward(x)];
  }

  out(x: Var): Var {
    return this.linears.o.forward(x);
  }
}

export function makeProjections(scope: Scope, layout: ProjectionLayout, w: Widths): Projections {
  if (layout === 'packed' || layout === 'conv1d') return new PackedProjections(scope, w, layout === 'conv1d');
  const names = Object.values(layout.separate);
  if (new Set(names).size !== names.length) throw new BuildError(`MultiHeadAttention: separate projections need four different names, got ${names.join(', ')}`);
  return new SeparateProjections(scope, w, layout.separate, layout.bias);
}
