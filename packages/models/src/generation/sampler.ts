// Choosing the next token from one row of logits. Greedy takes the first index of the maximum.
// Sampling is specified exactly, so the Python reference (scripts/generation_reference.py) draws
// the same tokens from the same logits and seed:
//   1. x_i = logit_i / temperature (in f64);
//   2. order tokens by x descending, index ascending; with topK > 0 keep the first topK;
//   3. p_i = exp(x_i - x_max) / sum over the kept tokens;
//   4. with topP < 1 keep the shortest prefix (in that order) whose p adds up to >= topP;
//   5. u = next() * (sum of kept p); the token is the first in order whose running sum of p
//      exceeds u (the last kept one if rounding leaves none).

import type { Mulberry32 } from './prng.ts';

export interface SamplingOptions {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

/** Index of the largest value in logits[at, at + n), the first on ties (NaN never wins). */
export function argmaxRow(logits: Float32Array, at: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[at + i] > logits[at + best]) best = i;
  return best;
}

/** A token drawn from logits[at, at + n) as the header says. */
export function sampleRow(logits: Float32Array, at: number, n: number, o: SamplingOptions, rng: Mulberry32): number {
  return sampleRowWith(logits, at, n, o, rng.next());
}

/** sampleRow with the PRNG's draw given: a backend that samples by itself takes the same draws. */
export function sampleRowWith(logits: Float32Array, at: number, n: number, o: SamplingOptions, draw: number): number {
  const x = Array.from({ length: n }, (_, i) => logits[at + i] / o.temperature);
  let order = x.map((_, i) => i).sort((a, b) => x[b] - x[a] || a - b);
  if (o.topK > 0 && o.topK < n) order = order.slice(0, o.topK);
  const max = x[order[0]];
  const e = order.map((i) => Math.exp(x[i] - max));
  const sum = e.reduce((s, v) => s + v, 0);
  let kept = order.length;
  if (o.topP < 1) {
    let cum = 0;
    for (kept = 0; kept < order.length; ) {
      cum += e[kept] / sum;
      kept++;
      if (cum >= o.topP) break;
    }
  }
  let total = 0;
  for (let j = 0; j < kept; j++) total += e[j] / sum;
  const u = draw * total;
  let run = 0;
  for (let j = 0; j < kept; j++) {
    run += e[j] / sum;
    if (run > u) return order[j];
  }
  return order[kept - 1];
}

/** log_softmax of logits[at, at + n) in f64. */
export function logSoftmaxRow(logits: Float32Array, at: number, n: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[at + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[at + i] - max);
  const lse = max + Math.log(sum);
  return Float64Array.from({ length: n }, (_, i) => logits[at + i] - lse);
}
