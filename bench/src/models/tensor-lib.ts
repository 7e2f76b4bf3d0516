// What the bench's own Transformer code needs from a tensor library: the few ops of the model,
// each done the way that library does it best (tfjs's fused matMul, jax-js's dotProductAttention).
// TensorFlow.js and jax-js implement it; the model code in models/ is written once over it.
//
// Ownership follows jax-js, the stricter of the two: every op consumes its arguments, so a value
// used twice is passed once through keep(), and one never used again is passed to drop(). For
// tfjs, keep and drop do nothing and a run's temporaries are freed by tf.tidy.

export interface HostArray {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

export interface TensorLib<T> {
  fromF32(data: Float32Array, shape: readonly number[]): T;
  fromI32(data: Int32Array, shape: readonly number[]): T;
  /** Static shape (known while jax-js traces). */
  shape(x: T): readonly number[];
  /** Another handle to x, for a second use. */
  keep(x: T): T;
  /** Give up a handle that no op will consume. */
  drop(x: T): void;
  /** [m, k] · [k, n]. */
  matmul(a: T, b: T): T;
  /** x · w + b with w [in, out] (stored transposed once at load), then ReLU when asked. */
  linear(x: T, w: T, b: T, relu: boolean): T;
  add(a: T, b: T): T;
  scale(x: T, s: number): T;
  /** LayerNorm over the last axis (biased variance, as torch). */
  layerNorm(x: T, weight: T, bias: T, eps: number): T;
  /** Multi-head attention core: q [lq, d], k and v [lk, d] → [lq, d], scale 1/√(d/heads). */
  attention(q: T, k: T, v: T, heads: number, causal: boolean): T;
  /** Rows of table [n, d] at ids [len] → [len, d]. */
  gather(table: T, ids: T): T;
  /** x[start : start + count] along the first axis. */
  rows(x: T, start: number, count: number): T;
  /** Index of the largest value along the last axis, int32. */
  argmax(x: T): T;
  /** Prepare a forward function for repeated calls (tfjs: tidy around it; jax-js: jit). */
  compile(fn: (...args: T[]) => T): (...args: T[]) => T;
  /** Download a result (and free it). */
  read(x: T): Promise<HostArray>;
  /** Free a weight at the end. */
  dispose(x: T): void;
}
