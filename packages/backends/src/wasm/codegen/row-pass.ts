// One pass over a row of n f32 elements: f32x4 steps for the first 4·⌊n/4⌋ elements, then
// single-element steps that run the same vector code on a splatted lane and store lane 0. Row
// kernels (softmax, LayerNorm, attention's final scaling) write each pass once for both widths.

import type { Code, Local } from '../encoder/code.ts';
import { type Val, bind, forRange, get, i32, iadd, op } from './ops.ts';

export interface Step {
  /** True in the one-element tail (lanes 1–3 hold copies of lane 0). */
  readonly tail: boolean;
  /** Byte offset of the step's first element from the row start. */
  readonly offset: Val;
  load(rowPtr: Local): Val;
  store(rowPtr: Local, v: Val): Val;
}

const vectorStep = (j: Local): Step => ({
  tail: false,
  offset: op('i32.shl', get(j), i32(2)),
  load: (p) => (c) => { iadd(get(p), op('i32.shl', get(j), i32(2)))(c); c.mem('v128.load'); },
  store: (p, v) => (c) => { iadd(get(p), op('i32.shl', get(j), i32(2)))(c); v(c); c.mem('v128.store'); },
});

const tailStep = (j: Local): Step => ({
  tail: true,
  offset: op('i32.shl', get(j), i32(2)),
  load: (p) => (c) => { iadd(get(p), op('i32.shl', get(j), i32(2)))(c); c.mem('v128.load32_splat'); },
  store: (p, v) => (c) => { iadd(get(p), op('i32.shl', get(j), i32(2)))(c); v(c); c.storeLane('v128.store32_lane', 0); },
});

/** Emit `body` for every element of a row of `n`: vector steps, then the tail. */
export function rowPass(c: Code, n: Local, body: (s: Step) => void): void {
  const j = c.local('i32');
  const end = bind(c, 'i32', op('i32.and', get(n), i32(~3)));
  forRange(c, j, i32(0), get(end), () => body(vectorStep(j)), 4);
  forRange(c, j, get(end), get(n), () => body(tailStep(j)));
}

/** In the tail, keep only lane 0 of a value that is summed (the other lanes are copies). */
export function sumLanes(s: Step, v: Val): Val {
  return s.tail ? op('v128.and', v, (c) => c.i32x4(-1, 0, 0, 0)) : v;
}
