// Rendering the expression IR (elementwise bodies, matmul epilogues) to wasm, for two targets
// that share one tree walk: scalar (every dtype: f32 and f16 compute in f32, i32/u8/bool in i32,
// i64 in i64) and vector (f32x4 lanes, bools as lane masks; f32 operands only). Each target is a
// table from op to instructions; the semantics follow the op table (NaN-propagating max/min,
// relu(NaN) = 0, truncating i32 division with x/0 = 0, casts that truncate, non-finite → 0).

import type { DType, Expr, ExprOp } from '@smelt/ir';
import { resultDType } from '../../render/c-like.ts';
import type { ValType } from '../encoder/opcodes.ts';
import type { PlainOp } from '../encoder/opcodes.ts';
import type { MathFn, MathLib } from './math.ts';
import { type Val, bind, get, op, splat } from './ops.ts';

export interface ExprTarget {
  supports(op: ExprOp, args: readonly DType[]): boolean;
  constant(v: number): Val;
  apply(op: ExprOp, args: readonly Val[], argTypes: readonly DType[]): Val;
}

const MATH: ReadonlySet<string> = new Set(['exp', 'log', 'tanh', 'erf', 'sigmoid', 'sin', 'cos', 'pow', 'gelu', 'gelu_tanh']);

/** The wasm type scalar code computes a dtype in. */
export function computeType(d: DType): ValType {
  if (d === 'f32' || d === 'f16') return 'f32';
  if (d === 'i64') return 'i64';
  return 'i32';
}

/** Use a value twice: evaluate it into a local first. */
const twice = (type: ValType, v: Val, body: (x: Val) => Val): Val => (c) => {
  const l = bind(c, type, v);
  body(get(l))(c);
};

const select = (a: Val, b: Val, cond: Val): Val => (c) => { a(c); b(c); cond(c); c.op('select'); };
const f32c = (x: number): Val => (c) => c.f32(x);
const i32c = (x: number): Val => (c) => c.i32(x);

const F32_BINARY: Partial<Record<ExprOp, PlainOp>> = {
  add: 'f32.add', sub: 'f32.sub', mul: 'f32.mul', div: 'f32.div', max: 'f32.max', min: 'f32.min',
  eq: 'f32.eq', ne: 'f32.ne', lt: 'f32.lt', le: 'f32.le', gt: 'f32.gt', ge: 'f32.ge',
};
const I32_BINARY: Partial<Record<ExprOp, PlainOp>> = {
  add: 'i32.add', sub: 'i32.sub', mul: 'i32.mul', and: 'i32.and', or: 'i32.or',
  eq: 'i32.eq', ne: 'i32.ne', lt: 'i32.lt_s', le: 'i32.le_s', gt: 'i32.gt_s', ge: 'i32.ge_s',
};

/** x / y on i32 as the interpreter defines it: truncating, x / 0 = 0, INT_MIN / -1 wraps. */
const i32Div = (x: Val, y: Val): Val => twice('i32', x, (a) => twice('i32', y, (b) => {
  const safe = select(i32c(1), b, op('i32.or', op('i32.eqz', b), op('i32.eq', b, i32c(-1))));
  return select(i32c(0), select(op('i32.sub', i32c(0), a), op('i32.div_s', a, safe), op('i32.eq', b, i32c(-1))), op('i32.eqz', b));
}));

/** Float to integer as castTensor does: truncate toward zero (wrapping), non-finite → 0. */
const truncToInt = (x: Val, to: 'i32' | 'i64'): Val => twice('f32', x, (v) => {
  const finite = op('f32.eq', op('f32.sub', v, v), f32c(0));
  const t = op('i64.trunc_sat_f32_s', v);
  return to === 'i64' ? select(t, (c) => c.i64(0n), finite) : select(op('i32.wrap_i64', t), i32c(0), finite);
});

function scalarCast(x: Val, from: DType, to: DType): Val {
  const src = computeType(from);
  if (to === 'bool') {
    if (src === 'f32') return op('f32.ne', x, f32c(0));
    if (src === 'i64') return op('i32.eqz', op('i64.eqz', x));
    return op('i32.ne', x, i32c(0));
  }
  const dst = computeType(to);
  if (dst === 'f32') return src === 'f32' ? x : op(src === 'i64' ? 'f32.convert_i64_s' : 'f32.convert_i32_s', x);
  if (src === 'f32') return truncToInt(x, dst === 'i64' ? 'i64' : 'i32');
  if (src === dst) return x;
  return op(dst === 'i64' ? 'i64.extend_i32_s' : 'i32.wrap_i64', x);
}

export function scalarTarget(math: MathLib): ExprTarget {
  return {
    supports: () => true,
    constant: f32c,
    apply(o, args, types) {
      const t = computeType(types[0] ?? 'f32');
      const [x, y, z] = args;
      if (o.startsWith('cast_')) return scalarCast(x, types[0], o.slice(5) as DType);
      if (MATH.has(o)) return math.callScalar(o as MathFn, ...args);
      if (o === 'where') return select(y, z, x);
      if (t === 'f32') {
        const bin = F32_BINARY[o];
        if (bin) return op(bin, x, y);
        switch (o) {
          case 'neg': return op('f32.neg', x);
          case 'abs': return op('f32.abs', x);
          case 'sqrt': return op('f32.sqrt', x);
          case 'rsqrt': return op('f32.div', f32c(1), op('f32.sqrt', x));
          case 'relu': return twice('f32', x, (v) => select(v, f32c(0), op('f32.gt', v, f32c(0))));
          default: break;
        }
      } else {
        const bin = I32_BINARY[o];
        if (bin) return op(bin, x, y);
        switch (o) {
          case 'div': return i32Div(x, y);
          case 'max': case 'min': return twice('i32', x, (a) => twice('i32', y, (b) => select(a, b, op(o === 'max' ? 'i32.gt_s' : 'i32.lt_s', a, b))));
          case 'neg': return op('i32.sub', i32c(0), x);
          case 'abs': return twice('i32', x, (v) => select(v, op('i32.sub', i32c(0), v), op('i32.ge_s', v, i32c(0))));
          case 'relu': return twice('i32', x, (v) => select(v, i32c(0), op('i32.gt_s', v, i32c(0))));
          case 'not': return op('i32.eqz', x);
          default: break;
        }
      }
      throw new Error(`wasm: no scalar rendering of ${o} on ${types.join(', ')}`);
    },
  };
}

const V_BINARY: Partial<Record<ExprOp, PlainOp>> = {
  add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', max: 'f32x4.max', min: 'f32x4.min',
  eq: 'f32x4.eq', ne: 'f32x4.ne', lt: 'f32x4.lt', le: 'f32x4.le', gt: 'f32x4.gt', ge: 'f32x4.ge',
};
const V_UNARY: Partial<Record<ExprOp, PlainOp>> = { neg: 'f32x4.neg', abs: 'f32x4.abs', sqrt: 'f32x4.sqrt' };

/** f32x4 lanes; bools are lane masks (all ones = true). */
export function vectorTarget(math: MathLib): ExprTarget {
  return {
    supports(o, args) {
      if (o === 'and' || o === 'or' || o === 'not' || o === 'cast_f32' || o === 'cast_f16' || o === 'cast_bool') {
        return args.every((a) => a === 'bool') || (o !== 'and' && o !== 'or' && o !== 'not' && args[0] === 'f32');
      }
      if (o === 'where') return args[0] === 'bool' && args[1] === 'f32';
      return args.every((a) => a === 'f32') && (o in V_BINARY || o in V_UNARY || MATH.has(o) || o === 'rsqrt' || o === 'relu');
    },
    constant: splat,
    apply(o, args, types) {
      const [x, y, z] = args;
      const bin = V_BINARY[o];
      if (bin) return op(bin, x, y);
      const un = V_UNARY[o];
      if (un) return op(un, x);
      if (MATH.has(o)) return math.call(o as MathFn, ...args);
      switch (o) {
        case 'rsqrt': return op('f32x4.div', splat(1), op('f32x4.sqrt', x));
        case 'relu': return twice('v128', x, (v) => op('v128.and', v, op('f32x4.gt', v, splat(0))));
        case 'and': return op('v128.and', x, y);
        case 'or': return op('v128.or', x, y);
        case 'not': return op('v128.not', x);
        case 'where': return (c) => { y(c); z(c); x(c); c.op('v128.bitselect'); };
        case 'cast_bool': return types[0] === 'bool' ? x : op('f32x4.ne', x, splat(0));
        case 'cast_f32': case 'cast_f16': return types[0] === 'bool' ? op('v128.and', x, splat(1)) : x;
        default: throw new Error(`wasm: no vector rendering of ${o}`);
      }
    },
  };
}

/** The dtype `e` computes; storage dtypes (f16, i64) are allowed where an unfused cast or where reads them. */
function dtypeOf(e: Expr, inputs: readonly DType[]): DType {
  if (e.k === 'in') return inputs[e.i];
  if (e.k === 'const') return 'f32';
  return resultDType(e.op, e.args.map((a) => dtypeOf(a, inputs)));
}

/** Whether every op of `e` renders on `target`. */
export function canRender(e: Expr, inputs: readonly DType[], target: ExprTarget): boolean {
  if (e.k !== 'op') return true;
  const types = e.args.map((a) => dtypeOf(a, inputs));
  return target.supports(e.op, types) && e.args.every((a) => canRender(a, inputs, target));
}

/** The value of `e`, with operand i pushed by `operand(i)` in its dtype's computed form. */
export function renderExpr(e: Expr, inputs: readonly DType[], operand: (i: number) => Val, target: ExprTarget): Val {
  switch (e.k) {
    case 'in': return operand(e.i);
    case 'const': return target.constant(e.v);
    case 'op': {
      const types = e.args.map((a) => dtypeOf(a, inputs));
      return target.apply(e.op, e.args.map((a) => renderExpr(a, inputs, operand, target)), types);
    }
    default: return e satisfies never;
  }
}
