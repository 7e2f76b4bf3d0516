// Expression combinators over the wasm operand stack: a value is a function that pushes it, so
// straight-line math reads as nested calls (`fmul(x, fadd(y, k(1)))`) instead of stack juggling.
// `bind` stores a value in a fresh local when it is used more than once.

import type { Code, Local } from '../encoder/code.ts';
import type { PlainOp, ValType } from '../encoder/opcodes.ts';

export type Val = (c: Code) => void;

export const get = (l: Local): Val => (c) => c.get(l);
export const op = (name: PlainOp, ...args: Val[]): Val => (c) => {
  for (const a of args) a(c);
  c.op(name);
};

/** Evaluate `v` into a new local of `type`. */
export function bind(c: Code, type: ValType, v: Val): Local {
  const l = c.local(type);
  v(c);
  c.set(l);
  return l;
}

// i32 scalars
export const i32 = (n: number): Val => (c) => c.i32(n);
export const iadd = (a: Val, b: Val) => op('i32.add', a, b);
export const imul = (a: Val, b: Val) => op('i32.mul', a, b);
/** The smaller of two i32s; `a` and `b` are evaluated twice, so pass locals or constants. */
export const imin = (a: Val, b: Val): Val => (c) => { a(c); b(c); a(c); b(c); c.op('i32.lt_s', 'select'); };
export const imax = (a: Val, b: Val): Val => (c) => { a(c); b(c); a(c); b(c); c.op('i32.gt_s', 'select'); };

// f32x4 vectors
export const splat = (x: number): Val => (c) => c.f32x4(x);
export const isplat = (n: number): Val => (c) => c.i32x4(n);
export const fadd = (a: Val, b: Val) => op('f32x4.add', a, b);
export const fsub = (a: Val, b: Val) => op('f32x4.sub', a, b);
export const fmul = (a: Val, b: Val) => op('f32x4.mul', a, b);
export const fdiv = (a: Val, b: Val) => op('f32x4.div', a, b);
export const fmin = (a: Val, b: Val) => op('f32x4.min', a, b);
export const fmax = (a: Val, b: Val) => op('f32x4.max', a, b);
export const fabs = (a: Val) => op('f32x4.abs', a);
export const flt = (a: Val, b: Val) => op('f32x4.lt', a, b);
export const fgt = (a: Val, b: Val) => op('f32x4.gt', a, b);
export const feq = (a: Val, b: Val) => op('f32x4.eq', a, b);
export const vand = (a: Val, b: Val) => op('v128.and', a, b);
export const vor = (a: Val, b: Val) => op('v128.or', a, b);
export const vxor = (a: Val, b: Val) => op('v128.xor', a, b);
/** Lanes of `a` where `mask` is set, else lanes of `b`. */
export const vselect = (mask: Val, a: Val, b: Val): Val => (c) => { a(c); b(c); mask(c); c.op('v128.bitselect'); };

/** Horner evaluation of coeffs[0] * x^n + … + coeffs[n] (f32x4). */
export function horner(x: Val, coeffs: readonly number[]): Val {
  let acc: Val = splat(coeffs[0]);
  for (const k of coeffs.slice(1)) acc = fadd(fmul(acc, x), splat(k));
  return acc;
}

/** Counted loop: for (i = from; i < to; i += step) body — `to` is evaluated once before the loop. */
export function forRange(c: Code, i: Local, from: Val, to: Val, body: () => void, step = 1): void {
  const end = bind(c, 'i32', to);
  from(c);
  c.set(i);
  c.get(i).get(end).op('i32.lt_s').if(() => {
    c.loop((top) => {
      body();
      c.get(i).i32(step).op('i32.add').tee(i).get(end).op('i32.lt_s').brIf(top);
    });
  });
}

const lanesBytes = (lanes: readonly number[]) => lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);

/** Combine the four lanes of `v` with `combine` (e.g. f32x4.add): every lane of the result holds the total. */
export function horizontal(v: Val, combine: 'f32x4.add' | 'f32x4.max'): Val {
  return (c) => {
    const t = bind(c, 'v128', v);
    c.get(t).get(t).get(t).shuffle(lanesBytes([2, 3, 0, 1])).op(combine).set(t);
    c.get(t).get(t).get(t).shuffle(lanesBytes([1, 0, 3, 2])).op(combine);
  };
}

/** acc + a·b on f32x4: fused (relaxed_madd) or a multiply then an add (plain SIMD). */
export function madd(relaxed: boolean, a: Val, b: Val, acc: Val): Val {
  return relaxed ? op('f32x4.relaxed_madd', a, b, acc) : fadd(acc, fmul(a, b));
}
