// Elementwise ONNX ops: arithmetic, comparisons, logic, activations, Where, Cast, Identity.
// Each evaluates at import when every operand is static (shape arithmetic: `seq + 2`, `-1 == x`),
// otherwise it becomes the smelt op of the same meaning. A ConstantOfShape operand whose shape the
// other operands' broadcast already covers becomes a scalar, as the DSL would write it.

import { type BinaryKind, type UnaryKind, type Var, binary, broadcastShapes, isInteger, shapesEqual, unary, where } from '@smelt/ir';
import type { NodeContext } from '../context.ts';
import { mapStatic } from '../static.ts';
import { smeltDType } from '../tensors.ts';
import { type El, type Val, asStatic, elAdd, elDiv, elEq, elMul, elSub, shapeOfVal, staticOf } from '../values.ts';
import type { Converter } from './types.ts';

/** Operands as graph values, a fill that broadcasting absorbs replaced by a scalar. */
function operandVars(c: NodeContext, vals: readonly Val[]): Var[] {
  return vals.map((v, i) => {
    if (v.kind !== 'fill') return c.toVar(v, `input ${i}`);
    const others = vals.filter((_, j) => j !== i).map(shapeOfVal);
    if (others.length > 0 && shapesEqual(broadcastShapes([...others, v.shape]), broadcastShapes(others))) {
      return c.toVar(staticOf(v.dtype, [], [v.value]), `input ${i}`);
    }
    return c.toVar(v, `input ${i}`);
  });
}

const num = (e: El): number => {
  if (typeof e !== 'number') throw new Error(`${e} is symbolic`);
  return e;
};

/** Static rules of the binary ops, by ONNX name; `int` says the operands are integers. */
const STATIC_BINARY: Record<string, (a: El, b: El, int: boolean) => El> = {
  Add: elAdd, Sub: elSub, Mul: elMul, Div: (a, b, int) => elDiv(a, b, int),
  Pow: (a, b) => num(a) ** num(b), Max: (a, b) => Math.max(num(a), num(b)), Min: (a, b) => Math.min(num(a), num(b)),
  Equal: (a, b) => {
    const eq = elEq(a, b);
    if (eq === undefined) throw new Error(`whether ${a} equals ${b} depends on the input sizes`);
    return Number(eq);
  },
  Less: (a, b) => Number(num(a) < num(b)), Greater: (a, b) => Number(num(a) > num(b)),
  LessOrEqual: (a, b) => Number(num(a) <= num(b)), GreaterOrEqual: (a, b) => Number(num(a) >= num(b)),
  And: (a, b) => Number(num(a) !== 0 && num(b) !== 0), Or: (a, b) => Number(num(a) !== 0 || num(b) !== 0),
};

const GRAPH_BINARY: Record<string, BinaryKind> = {
  Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Pow: 'pow', Max: 'max', Min: 'min', Equal: 'eq', Less: 'lt', Greater: 'gt',
  LessOrEqual: 'le', GreaterOrEqual: 'ge', And: 'and', Or: 'or',
};
const LOGICAL = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

function binaryOp(name: string): Converter {
  const kind = GRAPH_BINARY[name];
  const rule = STATIC_BINARY[name];
  return (c) => {
    if (c.arity < 2) c.malformed(`needs at least 2 inputs, got ${c.arity}`);
    const vals = c.node.inputs.map((_, i) => c.input(i));
    if (name !== 'Max' && name !== 'Min' && vals.length !== 2) c.malformed(`needs 2 inputs, got ${vals.length}`);
    const statics = vals.map(asStatic);
    if (statics.every((s) => s !== undefined)) {
      const ss = statics as NonNullable<(typeof statics)[number]>[];
      const int = isInteger(ss[0].dtype);
      try {
        const dtype = LOGICAL.has(name) ? 'bool' : ss[0].dtype;
        return [ss.slice(1).reduce((acc, s) => mapStatic([acc, s], dtype, ([a, b]) => rule(a, b, int)), ss[0])];
      } catch (e) {
        if (ss.some((s) => s.values.some((x) => typeof x === 'string'))) c.unsupported(`cannot evaluate on sizes at import: ${(e as Error).message}`);
      }
    }
    const vars = operandVars(c, vals);
    return [{ kind: 'var', v: vars.slice(1).reduce((acc, v) => binary(kind, acc, v), vars[0]) }];
  };
}

const STATIC_UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x, Abs: Math.abs, Sqrt: Math.sqrt, Exp: Math.exp, Log: Math.log, Not: (x) => Number(x === 0), Reciprocal: (x) => 1 / x,
  Relu: (x) => Math.max(x, 0),
};

const GRAPH_UNARY: Record<string, UnaryKind> = {
  Neg: 'neg', Abs: 'abs', Sqrt: 'sqrt', Exp: 'exp', Log: 'log', Erf: 'erf', Tanh: 'tanh', Relu: 'relu', Sigmoid: 'sigmoid',
  Sin: 'sin', Cos: 'cos', Not: 'not',
};

function unaryOp(name: string): Converter {
  return (c) => {
    const x = c.input(0);
    const s = asStatic(x);
    const rule = STATIC_UNARY[name];
    if (s && rule && s.values.every((e) => typeof e === 'number')) {
      return [mapStatic([s], s.dtype, ([e]) => rule(e as number))];
    }
    const v = c.toVar(x, 'input 0');
    if (name === 'Reciprocal') return [{ kind: 'var', v: binary('div', 1, v) }];
    return [{ kind: 'var', v: unary(GRAPH_UNARY[name], v) }];
  };
}

const whereOp: Converter = (c) => {
  const vals = [c.input(0), c.input(1), c.input(2)];
  const ss = vals.map(asStatic);
  if (ss.every((s) => s !== undefined) && ss[0]!.values.every((e) => typeof e === 'number')) {
    return [mapStatic(ss as NonNullable<(typeof ss)[0]>[], ss[1]!.dtype, ([cond, a, b]) => (cond !== 0 ? a : b))];
  }
  const [cond, a, b] = operandVars(c, vals);
  return [{ kind: 'var', v: where(cond, a, b) }];
};

const castOp: Converter = (c) => {
  const to = c.int('to') ?? c.malformed('has no attribute to');
  const dtype = smeltDType(to, `attribute to`);
  const x = c.input(0);
  const s = asStatic(x);
  if (s) {
    const symbolic = s.values.some((e) => typeof e === 'string');
    if (!symbolic || dtype === 'i32') {
      const conv = (e: El): El => (typeof e === 'string' ? e : dtype === 'bool' ? Number(e !== 0) : isInteger(dtype) ? Math.trunc(e) : e);
      return [staticOf(dtype, s.shape, s.values.map(conv))];
    }
  }
  if (x.kind === 'fill') return [{ ...x, dtype, value: dtype === 'bool' ? Number(x.value !== 0) : isInteger(dtype) ? Math.trunc(x.value) : x.value }];
  return [{ kind: 'var', v: c.toVar(x, 'input 0').cast(dtype) }];
};

export const ELEMENTWISE_OPS: Record<string, Converter> = {
  ...Object.fromEntries(Object.keys(GRAPH_BINARY).map((k) => [k, binaryOp(k)])),
  ...Object.fromEntries([...Object.keys(GRAPH_UNARY), 'Reciprocal'].map((k) => [k, unaryOp(k)])),
  Where: whereOp,
  Cast: castOp,
  Identity: (c) => [c.input(0)],
};
