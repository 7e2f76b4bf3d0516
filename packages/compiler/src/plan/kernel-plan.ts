// The kernel plan: the lowered form every backend consumes. Ordered kernels over buffers; a
// buffer lives in the arena (a slot of the memory plan), is a graph input, a weight, a constant,
// a derived weight computed once at load, or a view (alias) of another buffer. Sizes keep their
// symbols, so one plan serves every sequence length. Elementwise bodies, matmul epilogues and row
// programs (softmax, norms) are expressions (ir/expr.ts) that backends render generically.

import type { AttentionLayout, DType, Dim, Expr, RowProgram, Tensor } from '@smelt/ir';
import type { InputContract } from './input-contract.ts';

export type BufferStorage =
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'weight'; readonly name: string }
  | { readonly kind: 'constant'; readonly value: Tensor }
  | { readonly kind: 'derived' }
  | { readonly kind: 'arena'; slot: number }
  | { readonly kind: 'alias'; readonly of: number };

export interface PlanBuffer {
  readonly id: number;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  storage: BufferStorage;
}

interface KernelBase {
  /** The ops this kernel computes, for comments in emitted code ("linear(relu)", "add_layer_norm"). */
  readonly label: string;
}

export type Kernel = KernelBase & (
  | { readonly kind: 'elementwise'; readonly out: number; readonly inputs: readonly number[]; readonly expr: Expr }
  | {
      readonly kind: 'matmul'; readonly a: number; readonly b: number; readonly out: number;
      readonly transA: boolean; readonly transB: boolean;
      /** Epilogue over $0 = the accumulated dot product and $1.. = `extras` read at the output index (broadcast). */
      readonly epilogue: Expr; readonly extras: readonly number[];
    }
  | {
      /** q, k, v and out in `layout` (bhsd [..., H, L, d] or bshd [..., L, H, d]); attentionAccess says how a kernel addresses them. */
      readonly kind: 'attention'; readonly q: number; readonly k: number; readonly v: number; readonly mask?: number;
      readonly out: number; readonly scale: number; readonly causal: boolean; readonly layout: AttentionLayout;
    }
  | {
      /**
       * A row op (softmax, log_softmax, the norms and their fused forms): its row program over each
       * row (last axis) of `out`, with `inputs` broadcast to out's shape as the program's $0….
       */
      readonly kind: 'row'; readonly inputs: readonly number[]; readonly program: RowProgram; readonly out: number;
      /** Where the row value is written too (when the program writes it: add-and-norm's residual sum). */
      readonly value?: number;
    }
  | {
      readonly kind: 'reduce'; readonly op: 'sum' | 'mean' | 'max' | 'min' | 'argmax'; readonly x: number; readonly out: number;
      readonly axes: readonly number[];
    }
  | {
      /** Rotary embedding of x's rows by cos and sin rows [..., H] (broadcast against x's rows). */
      readonly kind: 'rope'; readonly x: number; readonly cos: number; readonly sin: number; readonly out: number; readonly interleaved: boolean;
    }
  | {
      /** out = x placed at `before` in a tensor filled with `value` (already in out's dtype: bool 0/1, integers truncated). */
      readonly kind: 'pad'; readonly x: number; readonly out: number; readonly before: readonly number[]; readonly value: number;
    }
  | {
      /** Running sum along `axis`; f32 sums accumulate in double where the target has it. */
      readonly kind: 'cumsum'; readonly x: number; readonly out: number; readonly axis: number; readonly exclusive: boolean; readonly reverse: boolean;
    }
  | {
      /** The k (out's size along `axis`) largest or smallest, sorted, ties by lower index: values in `out`, i32 positions in `indices`. */
      readonly kind: 'topk'; readonly x: number; readonly out: number; readonly indices: number; readonly axis: number; readonly largest: boolean;
    }
  | {
      /** torch's conv1d: x [N, Cin, L], w [Cout, Cin / groups, K], optional bias [Cout] → out [N, Cout, Lout]. */
      readonly kind: 'conv1d'; readonly x: number; readonly w: number; readonly bias?: number; readonly out: number;
      readonly stride: number; readonly padding: number; readonly dilation: number; readonly groups: number;
    }
  | { readonly kind: 'transpose'; readonly x: number; readonly out: number; readonly perm: readonly number[] }
  | { readonly kind: 'slice'; readonly x: number; readonly out: number; readonly axis: number; readonly start: Dim }
  /** A slice whose start is read at run time from `start` (an i32 scalar buffer), clamped into [0, len - size]. */
  | { readonly kind: 'dynamic_slice'; readonly x: number; readonly start: number; readonly out: number; readonly axis: number }
  | { readonly kind: 'concat'; readonly inputs: readonly number[]; readonly out: number; readonly axis: number }
  | { readonly kind: 'gather'; readonly table: number; readonly indices: number; readonly out: number; readonly axis: number }
  | { readonly kind: 'iota'; readonly out: number; readonly axis: number }
);

export type KernelKind = Kernel['kind'];

export interface ArenaSlot {
  readonly id: number;
  /** Buffers sharing this slot; their lifetimes never overlap. */
  readonly buffers: readonly number[];
}

/** A dim computed from the bound symbols: the sum of its terms, each [coefficient, ...indices into `symbols`]. */
export interface ComputedDim {
  readonly dim: string;
  readonly terms: readonly (readonly number[])[];
}

export interface KernelPlan {
  readonly name: string;
  /**
   * Every symbolic dim kernels read at run time: first the symbols bound from input shapes, then
   * the dims computed from them (`computed`, same order), so backends treat both alike.
   */
  readonly symbols: readonly string[];
  readonly computed: readonly ComputedDim[];
  /** What the inputs must satisfy, checked before any kernel runs (input-contract.ts). */
  readonly contract: InputContract;
  readonly inputs: readonly { readonly name: string; readonly buffer: number }[];
  readonly outputs: readonly { readonly name: string; readonly buffer: number }[];
  readonly buffers: readonly PlanBuffer[];
  /** Kernels run once at load: they compute `derived` buffers from weights and constants only. */
  readonly prologue: readonly Kernel[];
  /** Kernels of one forward pass, in order. */
  readonly kernels: readonly Kernel[];
  readonly arena: {
    readonly slots: readonly ArenaSlot[];
    /** Byte alignment of every slot offset. */
    readonly alignment: number;
    /** For each arena buffer: [first kernel that writes it, last kernel that reads it]. */
    readonly lifetimes: ReadonlyMap<number, readonly [number, number]>;
    /** Pairs (input buffer, output buffer) of a kernel allowed to share memory (in-place). */
    readonly inPlace: ReadonlyMap<number, number>;
  };
}
