// The wasm vocabulary of expression-op records. A record writes its wasm code through `Wasm<V>`,
// which the wasm backend implements over its instruction encoder (V is the backend's value: code
// that pushes one value), so records name instructions without importing backend code. Scalar code
// computes f32 and f16 in f32, i64 in i64, the other dtypes in i32; vector code is f32x4 lanes with
// bools as lane masks. Ops with long bodies (exp, erf, …) are module functions on f32x4 lanes,
// defined once per module on first use; scalar code calls them on a splatted lane.

import type { DType } from '../../dtype.ts';

export type WasmType = 'i32' | 'i64' | 'f32' | 'v128';

/** The instructions (text-format names, no immediates) records may use; the backend proves it encodes each. */
export type WasmInstr =
  | 'select'
  | `f32.${'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'neg' | 'abs' | 'sqrt' | 'convert_i32_s' | 'convert_i64_s'}`
  | `i32.${'add' | 'sub' | 'mul' | 'div_s' | 'and' | 'or' | 'shl' | 'shr_u' | 'eq' | 'ne' | 'lt_s' | 'lt_u' | 'le_s' | 'gt_s' | 'ge_s' | 'eqz' | 'wrap_i64' | 'reinterpret_f32' | 'trunc_sat_f32_s'}`
  | `i64.${'eqz' | 'sub' | 'shl' | 'trunc_sat_f32_s' | 'extend_i32_s' | 'extend_i32_u'}`
  | `f32x4.${'splat' | 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pmax' | 'pmin' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'neg' | 'abs' | 'sqrt' | 'nearest' | 'trunc' | 'convert_i32x4_s'}`
  | `i32x4.${'add' | 'sub' | 'eq' | 'shl' | 'shr_s' | 'shr_u' | 'trunc_sat_f32x4_s'}`
  | `v128.${'and' | 'or' | 'xor' | 'not' | 'bitselect'}`;

export interface Wasm<V> {
  /** An instruction over its operands, pushed in order. */
  op(name: WasmInstr, ...args: V[]): V;
  f32(x: number): V;
  i32(x: number): V;
  i64(x: bigint): V;
  /** v128 constants with four equal lanes. */
  f32x4(x: number): V;
  i32x4(x: number): V;
  /** `v` evaluated once into a local when the result is emitted; `body` may read it many times. */
  share(type: WasmType, v: V, body: (x: V) => V): V;
  /** A call of a module function on f32x4 operands. */
  call(fn: WasmFn, ...args: V[]): V;
  /** The module function on scalar f32 operands: splat each, call, take lane 0. */
  callScalar(fn: WasmFn, ...args: V[]): V;
}

/** Inside a module function's body: its parameters, and locals bound as the body is written. */
export interface WasmBody<V> extends Wasm<V> {
  readonly params: readonly V[];
  /** Evaluate `v` into a new local now; the result reads that local. */
  bind(type: WasmType, v: V): V;
}

/** A module function on f32x4 lanes (emitted as `math_${name}`). */
export interface WasmFn {
  readonly name: string;
  readonly arity: 1 | 2;
  body<V>(f: WasmBody<V>): V;
}

export interface WasmVector {
  /** Whether these operand dtypes have a vector form (default: all f32). */
  accepts?(types: readonly DType[]): boolean;
  render<V>(w: Wasm<V>, args: readonly V[], types: readonly DType[]): V;
}

export interface WasmRule {
  /** Scalar code for every operand dtype the op's dtype rule accepts. */
  scalar<V>(w: Wasm<V>, args: readonly V[], types: readonly DType[]): V;
  /** f32x4 code, when the op has a vector form. */
  readonly vector?: WasmVector;
}

/** A module function on f32x4 lanes: `body` writes it once per module. */
export const wasmFn = (name: string, arity: 1 | 2, body: <V>(f: WasmBody<V>) => V): WasmFn => ({ name, arity, body });

/** The wasm rule of an op that is one module function: called on vectors, and on a lane for scalars. */
export function wasmFunction(fn: WasmFn): WasmRule {
  return {
    scalar: (w, args) => w.callScalar(fn, ...args),
    vector: { render: (w, args) => w.call(fn, ...args) },
  };
}

/** One instruction on f32x4 and one on scalars (f32, or i32 when given). */
export function wasmInstr(vector: WasmInstr, f32: WasmInstr, i32?: WasmInstr): WasmRule {
  return {
    scalar: (w, args, types) => w.op(i32 && types[0] !== 'f32' && types[0] !== 'f16' ? i32 : f32, ...args),
    vector: { render: (w, args) => w.op(vector, ...args) },
  };
}

/** f32x4 arithmetic in a record's own words (module-function bodies read like the math they compute). */
export function lanes<V>(w: Wasm<V>) {
  const two = (name: WasmInstr) => (a: V, b: V) => w.op(name, a, b);
  return {
    add: two('f32x4.add'), sub: two('f32x4.sub'), mul: two('f32x4.mul'), div: two('f32x4.div'),
    min: two('f32x4.min'), max: two('f32x4.max'), lt: two('f32x4.lt'), gt: two('f32x4.gt'), eq: two('f32x4.eq'), ne: two('f32x4.ne'),
    and: two('v128.and'), or: two('v128.or'), xor: two('v128.xor'),
    abs: (a: V) => w.op('f32x4.abs', a),
    /** Lanes of `a` where `mask` is set, else lanes of `b`. */
    select: (mask: V, a: V, b: V) => w.op('v128.bitselect', a, b, mask),
    k: (x: number) => w.f32x4(x),
    bits: (n: number) => w.i32x4(n),
    /** coeffs[0]·x^n + … + coeffs[n], by Horner's rule. */
    horner(x: V, coeffs: readonly number[]): V {
      let acc = w.f32x4(coeffs[0]);
      for (const c of coeffs.slice(1)) acc = w.op('f32x4.add', w.op('f32x4.mul', acc, x), w.f32x4(c));
      return acc;
    },
  };
}
