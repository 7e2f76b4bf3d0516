// Elementwise graph ops. Every expression op without attributes (ops/expr/: neg, add, where, …) is
// a graph op of the same name, built here from its record: numpy broadcasting for the shape, the
// record's dtype rule, its scalar meaning for evaluation. gelu {approximate} and cast {to} choose
// one of several expression ops by attribute. Each def says which expression it computes (`expr`),
// which is all the fusions and lowering need to know about it.

import { type DType, allocArray, f16BitsToF32, f32ToF16Bits } from '../dtype.ts';
import type { Expr } from '../expr.ts';
import { broadcastShapes } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { castOp } from './expr/cast.ts';
import { EXPR_OPS, type ExprOp, NODE_EXPR_KINDS, type NodeExprKind, exprOpDType } from './expr/table.ts';
import { describe, mapElements, reader } from './ref-util.ts';
import type { ExprNodeKind, ExprOpDef, Trait } from './types.ts';

const apply = (op: ExprOp, args: readonly Expr[]): Expr => ({ k: 'op', op, args: [...args] });

/** One line of IR using the op, on the first operand dtypes its rule accepts. */
function example(kind: NodeExprKind, arity: number): string {
  const operands = Array.from({ length: arity }, (_, i) => `%${i}`).join(', ');
  for (const types of [Array<DType>(arity).fill('f32'), Array<DType>(arity).fill('bool'), ['bool', 'f32', 'f32'] as DType[]]) {
    const verdict = EXPR_OPS[kind].dtype(types);
    if (typeof verdict === 'string') return `%${arity} = ${kind}(${operands}) : ${verdict}[batch, seq, 64]`;
  }
  throw new Error(`${kind}: no example operand dtypes`);
}

/** The graph op of an expression op of the same name. */
function recordDef<K extends NodeExprKind>(kind: K): ExprOpDef<K> {
  const rec = EXPR_OPS[kind];
  const traits: Trait[] = rec.arity > 1 ? ['elementwise', 'broadcast'] : ['elementwise'];
  if (rec.commutative) traits.push('commutative');
  return {
    summary: rec.summary,
    example: example(kind, rec.arity),
    traits,
    operands: rec.arity,
    attrs: {} as ExprOpDef<K>['attrs'],
    infer(inputs) {
      const dtype = exprOpDType(kind, inputs.map((t) => t.dtype), describe(inputs));
      return [{ dtype, shape: broadcastShapes(inputs.map((t) => t.shape)) }];
    },
    evaluate(inputs) {
      const types = inputs.map((t) => t.dtype);
      return [mapElements(inputs, exprOpDType(kind, types), rec.scalar(types))];
    },
    expr: (_attrs, args) => apply(kind, args),
  };
}

const gelu: ExprOpDef<'gelu'> = {
  summary: 'GELU activation, exact (erf) or tanh approximation',
  example: '%1 = gelu(%0) {approximate = "none"} : f32[batch, 256]',
  traits: ['elementwise'],
  operands: 1,
  attrs: { approximate: { kind: 'enum', values: ['none', 'tanh'] } },
  infer(inputs, attrs) {
    return [{ dtype: exprOpDType(geluOp(attrs), inputs.map((t) => t.dtype), describe(inputs)), shape: inputs[0].shape }];
  },
  evaluate(inputs, attrs) {
    return [mapElements(inputs, 'f32', EXPR_OPS[geluOp(attrs)].scalar(['f32']))];
  },
  expr: (attrs, args) => apply(geluOp(attrs), args),
};

function geluOp(attrs: { approximate: 'none' | 'tanh' }): 'gelu' | 'gelu_tanh' {
  return attrs.approximate === 'tanh' ? 'gelu_tanh' : 'gelu';
}

/** Convert one tensor to another dtype: floats truncate toward zero into integers, nonzero is true. */
export function castTensor(t: Tensor, to: DType): Tensor {
  const n = t.data.length;
  const out = allocArray(to, n);
  const read = t.dtype === 'f16' ? (i: number) => f16BitsToF32(t.data[i] as number) : reader(t);
  for (let i = 0; i < n; i++) {
    const x = read(i);
    switch (to) {
      case 'f32': (out as Float32Array)[i] = x; break;
      case 'f16': (out as Uint16Array)[i] = f32ToF16Bits(x); break;
      case 'i32': (out as Int32Array)[i] = Number.isFinite(x) ? Math.trunc(x) : 0; break;
      case 'i64': (out as BigInt64Array)[i] = BigInt(Number.isFinite(x) ? Math.trunc(x) : 0); break;
      case 'u8': (out as Uint8Array)[i] = Number.isFinite(x) ? Math.trunc(x) : 0; break;
      case 'bool': (out as Uint8Array)[i] = x !== 0 ? 1 : 0; break;
      default: to satisfies never;
    }
  }
  return { dtype: to, shape: [...t.shape], data: out };
}

const cast: ExprOpDef<'cast'> = {
  summary: 'convert to another dtype (float to integer truncates; nonzero to bool is true)',
  example: '%1 = cast(%0) {to = f32} : f32[batch, srcLen]',
  traits: ['elementwise'],
  operands: 1,
  attrs: { to: { kind: 'dtype' } },
  infer([x], attrs) {
    return [{ dtype: attrs.to, shape: x.shape }];
  },
  evaluate([x], attrs) {
    return [castTensor(x, attrs.to)];
  },
  expr: (attrs, args) => apply(castOp(attrs.to), args),
};

type RecordTable = { readonly [K in NodeExprKind]: ExprOpDef<K> };

function recordTable(): RecordTable {
  return Object.fromEntries(NODE_EXPR_KINDS.map((k) => [k, recordDef(k)])) as RecordTable;
}

export type ElementwiseKind = Exclude<ExprNodeKind, 'fused_elementwise'>;

/** The elementwise ops; each must say which expression it computes. */
export const ELEMENTWISE_OPS: { readonly [K in ElementwiseKind]: ExprOpDef<K> } = { ...recordTable(), gelu, cast };
