// Vector math (f32x4 → f32x4) emitted into the module on first use: exp, log, tanh, erf, sigmoid,
// both GELUs, sin, cos, pow. Wasm has none of these; each is a polynomial after range reduction
// (Cephes-style), accurate to a few f32 ulps (erf and tanh to < 1e-6 absolute), with the
// reference's NaN and ±inf behaviour. Scalar code calls the same functions on a splatted lane, so
// there is one implementation per function.

import type { Code, Local } from '../encoder/code.ts';
import type { FuncRef, ModuleBuilder } from '../encoder/module.ts';
import {
  type Val, bind, fabs, fadd, fdiv, feq, fgt, flt, fmax, fmin, fmul, fsub, get, horner, isplat, op, splat, vand, vor, vselect, vxor,
} from './ops.ts';

export type MathFn = 'exp' | 'log' | 'tanh' | 'erf' | 'sigmoid' | 'gelu' | 'gelu_tanh' | 'sin' | 'cos' | 'pow';

const SIGN = isplat(0x80000000 | 0);
const NAN = isplat(0x7fc00000);
const INF = splat(Infinity);

type Body = (c: Code, lib: MathLib, x: Local, y: Local) => Val;

/** 2^n for integer-valued float lanes n in [-252, 254], as two exactly representable factors. */
function pow2Split(n: Val, c: Code): [Val, Val] {
  const ni = bind(c, 'v128', op('i32x4.trunc_sat_f32x4_s', n));
  const half = bind(c, 'v128', op('i32x4.shr_s', get(ni), (cc) => cc.i32(1)));
  const scale = (e: Val): Val => op('i32x4.shl', op('i32x4.add', e, isplat(127)), (cc) => cc.i32(23));
  return [scale(get(half)), scale(op('i32x4.sub', get(ni), get(half)))];
}

const exp: Body = (c, _lib, x) => {
  const xc = bind(c, 'v128', fmax(fmin(get(x), splat(89)), splat(-104)));
  const n = bind(c, 'v128', op('f32x4.nearest', fmul(get(xc), splat(Math.LOG2E))));
  const r = bind(c, 'v128', fsub(fsub(get(xc), fmul(get(n), splat(0.693359375))), fmul(get(n), splat(-2.12194440e-4))));
  const p = fadd(fadd(fmul(horner(get(r), [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]), fmul(get(r), get(r))), get(r)), splat(1));
  const [s1, s2] = pow2Split(get(n), c);
  return fmul(fmul(p, s1), s2);
};

const log: Body = (c, _lib, x) => {
  const bits = get(x);
  const e0 = bind(c, 'v128', op('f32x4.convert_i32x4_s', op('i32x4.sub', op('i32x4.shr_u', bits, (cc) => cc.i32(23)), isplat(126))));
  const m0 = bind(c, 'v128', vor(vand(bits, isplat(0x007fffff)), isplat(0x3f000000)));
  const small = bind(c, 'v128', flt(get(m0), splat(Math.SQRT1_2)));
  const e = bind(c, 'v128', fsub(get(e0), vand(get(small), splat(1))));
  const m = bind(c, 'v128', fsub(fadd(get(m0), vand(get(small), get(m0))), splat(1)));
  const z = bind(c, 'v128', fmul(get(m), get(m)));
  const P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
  let y: Val = fmul(fmul(get(m), get(z)), horner(get(m), P));
  y = fadd(fadd(y, fmul(get(e), splat(-2.12194440e-4))), fmul(get(z), splat(-0.5)));
  const r = bind(c, 'v128', fadd(fadd(get(m), y), fmul(get(e), splat(0.693359375))));
  let out: Val = vselect(feq(get(x), splat(0)), splat(-Infinity), get(r));
  out = vselect(flt(get(x), splat(0)), NAN, out);
  out = vselect(feq(get(x), INF), INF, out);
  return vselect(op('f32x4.ne', get(x), get(x)), get(x), out);
};

const tanh: Body = (c, lib, x) => {
  const ax = bind(c, 'v128', fabs(get(x)));
  const big = fsub(splat(1), fdiv(splat(2), fadd(lib.call('exp', fadd(get(ax), get(ax))), splat(1))));
  const z = bind(c, 'v128', fmul(get(x), get(x)));
  const small = fadd(get(x), fmul(fmul(get(x), get(z)), horner(get(z), [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1])));
  const signed = vor(big, vand(get(x), SIGN));
  return vselect(flt(get(ax), splat(0.625)), small, signed);
};

const erf: Body = (c, lib, x) => {
  const ax = bind(c, 'v128', fabs(get(x)));
  const t = bind(c, 'v128', fdiv(splat(1), fadd(splat(1), fmul(get(ax), splat(0.3275911)))));
  const tail = fmul(horner(get(t), [1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592, 0]), lib.call('exp', fmul(get(ax), fmul(get(ax), splat(-1)))));
  const big = vor(fsub(splat(1), tail), vand(get(x), SIGN));
  const z = bind(c, 'v128', fmul(get(x), get(x)));
  const k = 2 / Math.sqrt(Math.PI);
  const series = [1 / 9360, -1 / 1320, 1 / 216, -1 / 42, 1 / 10, -1 / 3, 1].map((v) => v * k);
  const small = fmul(get(x), horner(get(z), series));
  return vselect(flt(get(ax), splat(0.5)), small, big);
};

const sigmoid: Body = (_c, lib, x) => fdiv(splat(1), fadd(splat(1), lib.call('exp', op('f32x4.neg', get(x)))));

const gelu: Body = (_c, lib, x) => fmul(fmul(get(x), splat(0.5)), fadd(splat(1), lib.call('erf', fmul(get(x), splat(Math.SQRT1_2)))));

const geluTanh: Body = (_c, lib, x) => {
  const inner = fmul(splat(Math.sqrt(2 / Math.PI)), fadd(get(x), fmul(splat(0.044715), fmul(get(x), fmul(get(x), get(x))))));
  return fmul(fmul(get(x), splat(0.5)), fadd(splat(1), lib.call('tanh', inner)));
};

/** sin (shift 0) or cos (shift 1): quadrant reduction by π/2 in three parts, then a polynomial per half. */
const sincos = (shift: number): Body => (c, _lib, x) => {
  const q = bind(c, 'v128', op('f32x4.nearest', fmul(get(x), splat(2 / Math.PI))));
  const r = bind(c, 'v128', fsub(fsub(fsub(get(x), fmul(get(q), splat(1.5703125))), fmul(get(q), splat(4.837512969970703125e-4))), fmul(get(q), splat(7.549789948768648e-8))));
  const z = bind(c, 'v128', fmul(get(r), get(r)));
  const s = fadd(get(r), fmul(fmul(get(r), get(z)), horner(get(z), [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1])));
  const co = fadd(fsub(splat(1), fmul(get(z), splat(0.5))), fmul(fmul(get(z), get(z)), horner(get(z), [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2])));
  const qi = bind(c, 'v128', op('i32x4.add', op('i32x4.trunc_sat_f32x4_s', get(q)), isplat(shift)));
  const swap = op('i32x4.eq', vand(get(qi), isplat(1)), isplat(1));
  const neg = op('i32x4.shl', op('i32x4.shr_u', vand(get(qi), isplat(2)), (cc) => cc.i32(1)), (cc) => cc.i32(31));
  return vxor(vselect(swap, co, s), neg);
};

/** a^b with Math.pow's special cases: negative bases need integer exponents (sign by parity), b = 0 gives 1. */
const pow: Body = (c, lib, a, b) => {
  const r = bind(c, 'v128', lib.call('exp', fmul(get(b), lib.call('log', fabs(get(a))))));
  const isInt = bind(c, 'v128', feq(op('f32x4.trunc', get(b)), get(b)));
  const halfB = bind(c, 'v128', fmul(get(b), splat(0.5)));
  const odd = vand(get(isInt), op('f32x4.ne', op('f32x4.trunc', get(halfB)), get(halfB)));
  const flipped = vxor(get(r), vand(odd, vand(get(a), SIGN)));
  const bad = vand(flt(get(a), splat(0)), op('v128.not', get(isInt)));
  return vselect(feq(get(b), splat(0)), splat(1), vselect(bad, NAN, flipped));
};

const BODIES: { readonly [F in MathFn]: Body } = {
  exp, log, tanh, erf, sigmoid, gelu, gelu_tanh: geluTanh, sin: sincos(0), cos: sincos(1), pow,
};

/** The math functions a module uses, declared and defined on first use. */
export class MathLib {
  private readonly funcs = new Map<MathFn, FuncRef>();

  constructor(private readonly module: ModuleBuilder) {}

  arity(f: MathFn): number {
    return f === 'pow' ? 2 : 1;
  }

  ref(f: MathFn): FuncRef {
    let ref = this.funcs.get(f);
    if (ref) return ref;
    const params = this.arity(f) === 2 ? ['v128', 'v128'] as const : ['v128'] as const;
    ref = this.module.declare(`math_${f}`, params, ['v128']);
    this.funcs.set(f, ref);
    this.module.define(ref, (c) => {
      const [x, y] = c.params;
      BODIES[f](c, this, x, y ?? x)(c);
    });
    return ref;
  }

  /** A call of `f` on vector arguments. */
  call(f: MathFn, ...args: Val[]): Val {
    const ref = this.ref(f);
    return (c) => {
      for (const a of args) a(c);
      c.call(ref.index);
    };
  }

  /** A call of `f` on scalar f32 arguments: splat, call, take lane 0. */
  callScalar(f: MathFn, ...args: Val[]): Val {
    return (c) => {
      for (const a of args) {
        a(c);
        c.op('f32x4.splat');
      }
      c.call(this.ref(f).index);
      c.lane('f32x4.extract_lane', 0);
    };
  }
}
