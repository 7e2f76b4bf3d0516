// Rendering the expression IR (elementwise bodies, matmul epilogues) to wasm, in two forms: scalar
// (every dtype: f32 and f16 compute in f32, i32/u8/bool in i32, i64 in i64) and vector (f32x4
// lanes, bools as lane masks). Each op is written by its record's `wasm` rule (@smelt/ir
// ops/expr/) through `Wasm<Val>`, implemented here over the encoder; the module functions records
// ask for (exp, erf, …) are declared and defined on first use, once per module.

import { type DType, EXPR_OPS, type Expr, type ExprOp, type Wasm, type WasmBody, type WasmFn, type WasmInstr, foldExpr } from '@smelt/ir';
import type { Code, Local } from '../encoder/code.ts';
import type { FuncRef, ModuleBuilder } from '../encoder/module.ts';
import type { PlainOp } from '../encoder/opcodes.ts';
import { type Val, bind, get, op } from './ops.ts';

/** Every instruction a record may name is one the encoder has (a compile error otherwise). */
type Encodable<T extends PlainOp> = T;
type RecordInstr = Encodable<WasmInstr>;

export type Form = 'scalar' | 'vector';

/** The module functions of the records a module uses, and the vocabulary records write with. */
export class ExprLib {
  private readonly fns = new Map<string, { readonly fn: WasmFn; readonly ref: FuncRef }>();
  readonly wasm: Wasm<Val>;

  constructor(private readonly module: ModuleBuilder) {
    this.wasm = {
      op: (name, ...args) => op(name, ...args),
      f32: (x) => (c) => c.f32(x),
      i32: (x) => (c) => c.i32(x),
      i64: (x) => (c) => c.i64(x),
      f32x4: (x) => (c) => c.f32x4(x),
      i32x4: (x) => (c) => c.i32x4(x),
      share: (type, v, body) => (c) => {
        const l = bind(c, type, v);
        body(get(l))(c);
      },
      call: (fn, ...args) => {
        const ref = this.ref(fn);
        return (c) => {
          for (const a of args) a(c);
          c.call(ref.index);
        };
      },
      callScalar: (fn, ...args) => (c) => {
        for (const a of args) {
          a(c);
          c.op('f32x4.splat');
        }
        c.call(this.ref(fn).index);
        c.lane('f32x4.extract_lane', 0);
      },
    };
  }

  /** The module function `fn`, declared and defined on first use. */
  ref(fn: WasmFn): FuncRef {
    const known = this.fns.get(fn.name);
    if (known) {
      if (known.fn !== fn) throw new Error(`wasm: two module functions are named math_${fn.name}`);
      return known.ref;
    }
    const ref = this.module.declare(`math_${fn.name}`, fn.arity === 2 ? ['v128', 'v128'] : ['v128'], ['v128']);
    this.fns.set(fn.name, { fn, ref });
    this.module.define(ref, (c) => fn.body(this.body(c))(c));
    return ref;
  }

  /** A module function's body written into `c`: `wasm`'s vocabulary, `params` its operands, locals bound in `c`. */
  private body(c: Code, wasm: Wasm<Val> = this.wasm, params: readonly Val[] = c.params.map(get)): WasmBody<Val> {
    return { ...wasm, params, bind: (type, v) => get(bind(c, type, v)) };
  }

  /**
   * An op's f32x4 form with its module functions written in place instead of called, for a hot
   * loop in a small function: the constants they use are set into locals now (call this before
   * the loop), and each application binds its own locals. A called function builds its v128
   * constants on every call; written in place, the loop pays for the arithmetic alone, and
   * independent applications overlap. Gives the same bits as the call (tests/wasm-encoder.test.ts).
   */
  inlined(o: ExprOp, c: Code): (...args: Val[]) => Val {
    const rule = EXPR_OPS[o].wasm.vector;
    if (!rule) throw new Error(`wasm: ${o} has no vector form`);
    const pool = new Map<string, Local>();
    const constant = (key: string, push: Val): Val => {
      let l = pool.get(key);
      if (!l) pool.set(key, (l = bind(c, 'v128', push)));
      return get(l);
    };
    const nothing: Val = () => {};
    // Phase one, now: walk the bodies only to meet their constants (every other value is discarded).
    const collect: WasmBody<Val> = {
      op: () => nothing, f32: () => nothing, i32: () => nothing, i64: () => nothing,
      f32x4: (x) => constant(`f${x}`, (cc) => cc.f32x4(x)), i32x4: (x) => constant(`i${x}`, (cc) => cc.i32x4(x)),
      share: (_t, _v, body) => body(nothing),
      call: (fn) => fn.body({ ...collect, params: [nothing, nothing] }),
      callScalar: () => nothing,
      params: [], bind: () => nothing,
    };
    rule.render(collect, [nothing, nothing], ['f32', 'f32']);
    const pooled = (key: string): Val => {
      const l = pool.get(key);
      if (!l) throw new Error(`wasm: ${o}'s inlined body asked for a constant (${key}) its first walk did not meet`);
      return get(l);
    };
    // Phase two, per application: the pooled constants, and called functions' bodies written in place.
    const wasm: Wasm<Val> = {
      ...this.wasm,
      f32x4: (x) => pooled(`f${x}`), i32x4: (x) => pooled(`i${x}`),
      call: (fn, ...params) => (c2) => {
        const locals = params.map((p) => get(bind(c2, 'v128', p)));
        fn.body(this.body(c2, wasm, locals))(c2);
      },
    };
    return (...args) => rule.render(wasm, args, args.map(() => 'f32'));
  }

  /** One op on f32 operands in the given form (row kernels use exp this way). */
  apply(o: ExprOp, form: Form, ...args: Val[]): Val {
    return render(EXPR_OPS[o].wasm, form, this.wasm, args, args.map(() => 'f32'), o);
  }
}

function render(rule: (typeof EXPR_OPS)[ExprOp]['wasm'], form: Form, w: Wasm<Val>, args: readonly Val[], types: readonly DType[], o: ExprOp): Val {
  if (form === 'scalar') return rule.scalar(w, args, types);
  if (!rule.vector) throw new Error(`wasm: ${o} has no vector form`);
  return rule.vector.render(w, args, types);
}

const allF32 = (types: readonly DType[]) => types.every((t) => t === 'f32');

/** Whether every op of `e` has a vector form on its operand dtypes. */
export function canVectorize(e: Expr, inputs: readonly DType[]): boolean {
  return foldExpr<boolean>(e, inputs, {
    input: () => true,
    constant: () => true,
    op(o, args, types) {
      const vector = EXPR_OPS[o].wasm.vector;
      return args.every(Boolean) && vector !== undefined && (vector.accepts ?? allF32)(types);
    },
  });
}

/** The value of `e`, with operand i pushed by `operand(i)` in its dtype's computed form. */
export function renderExpr(e: Expr, inputs: readonly DType[], operand: (i: number) => Val, form: Form, lib: ExprLib): Val {
  return foldExpr<Val>(e, inputs, {
    input: operand,
    constant: (v) => (form === 'vector' ? lib.wasm.f32x4(v) : lib.wasm.f32(v)),
    op: (o, args, types) => render(EXPR_OPS[o].wasm, form, lib.wasm, args, types, o),
  });
}
