// Elementwise ops: unary math, binary arithmetic and comparisons with numpy broadcasting,
// where, and cast. Each kind's scalar function is exported so fused elementwise kernels and
// the interpreter share one meaning.

import { type DType, allocArray, f16BitsToF32, f32ToF16Bits } from '../dtype.ts';
import { type TensorType, broadcastShapes } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { erf, geluErf, geluTanh, sigmoid } from './math.ts';
import { describe, mapElements, reader, requireDTypes, requireSameDType } from './ref-util.ts';
import type { OpDef, OpKind, Trait } from './types.ts';

type ScalarFn = (...xs: number[]) => number;

interface ScalarRule {
  readonly dtypes: readonly DType[];
  readonly fn: ScalarFn;
  /** Result dtype when it is not the operands' dtype (comparisons give bool). */
  readonly result?: DType;
}

const F32: readonly DType[] = ['f32'];
const NUM: readonly DType[] = ['f32', 'i32'];
const BOOL: readonly DType[] = ['bool'];
const CMP: readonly DType[] = ['f32', 'i32', 'bool', 'u8'];

export const UNARY_RULES = {
  neg: { dtypes: NUM, fn: (x) => -x },
  abs: { dtypes: NUM, fn: Math.abs },
  exp: { dtypes: F32, fn: Math.exp },
  log: { dtypes: F32, fn: Math.log },
  sqrt: { dtypes: F32, fn: Math.sqrt },
  rsqrt: { dtypes: F32, fn: (x) => 1 / Math.sqrt(x) },
  tanh: { dtypes: F32, fn: Math.tanh },
  erf: { dtypes: F32, fn: erf },
  relu: { dtypes: NUM, fn: (x) => (x > 0 ? x : 0) },
  sigmoid: { dtypes: F32, fn: sigmoid },
  sin: { dtypes: F32, fn: Math.sin },
  cos: { dtypes: F32, fn: Math.cos },
  not: { dtypes: BOOL, fn: (x) => (x ? 0 : 1) },
} as const satisfies Record<string, ScalarRule>;
export type UnaryKind = keyof typeof UNARY_RULES;

export const BINARY_RULES = {
  add: { dtypes: NUM, fn: (a, b) => a + b },
  sub: { dtypes: NUM, fn: (a, b) => a - b },
  mul: { dtypes: NUM, fn: (a, b) => a * b },
  div: { dtypes: NUM, fn: (a, b) => a / b },
  pow: { dtypes: F32, fn: Math.pow },
  max: { dtypes: NUM, fn: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)) },
  min: { dtypes: NUM, fn: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)) },
  eq: { dtypes: CMP, fn: (a, b) => +(a === b), result: 'bool' },
  ne: { dtypes: CMP, fn: (a, b) => +(a !== b), result: 'bool' },
  lt: { dtypes: CMP, fn: (a, b) => +(a < b), result: 'bool' },
  le: { dtypes: CMP, fn: (a, b) => +(a <= b), result: 'bool' },
  gt: { dtypes: CMP, fn: (a, b) => +(a > b), result: 'bool' },
  ge: { dtypes: CMP, fn: (a, b) => +(a >= b), result: 'bool' },
  and: { dtypes: BOOL, fn: (a, b) => +(a !== 0 && b !== 0) },
  or: { dtypes: BOOL, fn: (a, b) => +(a !== 0 || b !== 0) },
} as const satisfies Record<string, ScalarRule>;
export type BinaryKind = keyof typeof BINARY_RULES;

const COMMUTATIVE: ReadonlySet<string> = new Set(['add', 'mul', 'max', 'min', 'eq', 'ne', 'and', 'or']);

/** The binary rule on operands of `dtype`: integer division truncates like C, i32 products wrap. */
export function binaryScalar(kind: BinaryKind, dtype: DType): ScalarFn {
  if (kind === 'div' && dtype === 'i32') return (a, b) => (b === 0 ? 0 : Math.trunc(a / b));
  if (dtype === 'i32' && (kind === 'mul')) return (a, b) => Math.imul(a, b);
  return BINARY_RULES[kind].fn;
}

function unaryDef<K extends UnaryKind>(kind: K): OpDef<K> {
  const rule: ScalarRule = UNARY_RULES[kind];
  return {
    summary: `elementwise ${kind}`,
    example: `%1 = ${kind}(%0) : f32[batch, 64]`,
    traits: ['elementwise'],
    operands: 1,
    attrs: {} as OpDef<K>['attrs'],
    infer(inputs) {
      requireDTypes(inputs, rule.dtypes, kind);
      return [inputs[0]];
    },
    evaluate(inputs) {
      return [mapElements(inputs, inputs[0].dtype, rule.fn)];
    },
  };
}

function binaryDef<K extends BinaryKind>(kind: K): OpDef<K> {
  const rule: ScalarRule = BINARY_RULES[kind];
  const traits: Trait[] = ['elementwise', 'broadcast'];
  if (COMMUTATIVE.has(kind)) traits.push('commutative');
  return {
    summary: `elementwise ${kind} with numpy broadcasting`,
    example: `%2 = ${kind}(%0, %1) : f32[batch, seq, 64]`,
    traits,
    operands: 2,
    attrs: {} as OpDef<K>['attrs'],
    infer(inputs) {
      requireDTypes(inputs, rule.dtypes, kind);
      const dtype = requireSameDType(inputs);
      return [{ dtype: rule.result ?? dtype, shape: broadcastShapes(inputs.map((t) => t.shape)) }];
    },
    evaluate(inputs) {
      const dtype = inputs[0].dtype;
      return [mapElements(inputs, rule.result ?? dtype, binaryScalar(kind, dtype))];
    },
  };
}

const gelu: OpDef<'gelu'> = {
  summary: 'GELU activation, exact (erf) or tanh approximation',
  example: '%1 = gelu(%0) {approximate = "none"} : f32[batch, 256]',
  traits: ['elementwise'],
  operands: 1,
  attrs: { approximate: { kind: 'enum', values: ['none', 'tanh'] } },
  infer(inputs) {
    requireDTypes(inputs, F32, 'gelu');
    return [inputs[0]];
  },
  evaluate(inputs, attrs) {
    return [mapElements(inputs, 'f32', attrs.approximate === 'tanh' ? geluTanh : geluErf)];
  },
};

const where: OpDef<'where'> = {
  summary: 'select a where cond is true, else b (all three broadcast)',
  example: '%3 = where(%0, %1, %2) : f32[tgtLen, tgtLen]',
  traits: ['elementwise', 'broadcast'],
  operands: 3,
  attrs: {},
  infer([cond, a, b]) {
    if (cond.dtype !== 'bool') throw new Error(`condition must be bool, got ${describe([cond, a, b])}`);
    const dtype = requireSameDType([a, b]);
    return [{ dtype, shape: broadcastShapes([cond.shape, a.shape, b.shape]) }];
  },
  evaluate(inputs) {
    return [mapElements(inputs, inputs[1].dtype, (c, a, b) => (c ? a : b))];
  },
};

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

/** What storing a double into a `dtype` array does to it (f32 rounds, i32 wraps, bool is 0/1). */
export function storeAs(dtype: DType): (x: number) => number {
  switch (dtype) {
    case 'f32': return Math.fround;
    case 'i32': return (x) => x | 0;
    case 'u8': return (x) => x & 255;
    case 'bool': return (x) => (x ? 1 : 0);
    default: throw new Error(`${dtype} is storage-only: cast it to f32 or i32 to compute`);
  }
}

/** cast of one scalar value, as castTensor does it (float to integer truncates; NaN and ±inf give 0). */
export function castScalar(to: DType): (x: number) => number {
  if (to === 'f32') return Math.fround;
  if (to === 'bool') return (x) => (x !== 0 ? 1 : 0);
  const store = storeAs(to);
  return (x) => store(Number.isFinite(x) ? Math.trunc(x) : 0);
}

const cast: OpDef<'cast'> = {
  summary: 'convert to another dtype (float to integer truncates; nonzero to bool is true)',
  example: '%1 = cast(%0) {to = f32} : f32[batch, srcLen]',
  traits: ['elementwise'],
  operands: 1,
  attrs: { to: { kind: 'dtype' } },
  infer([x], attrs): TensorType[] {
    return [{ dtype: attrs.to, shape: x.shape }];
  },
  evaluate([x], attrs) {
    return [castTensor(x, attrs.to)];
  },
};

type ElementwiseKind = UnaryKind | BinaryKind | 'gelu' | 'where' | 'cast';
type ElementwiseTable = { readonly [K in ElementwiseKind]: OpDef<K> };

function buildTable(): ElementwiseTable {
  const table: Record<string, unknown> = { gelu, where, cast };
  for (const k of Object.keys(UNARY_RULES) as UnaryKind[]) table[k] = unaryDef(k);
  for (const k of Object.keys(BINARY_RULES) as BinaryKind[]) table[k] = binaryDef(k);
  return table as ElementwiseTable;
}

export const ELEMENTWISE_OPS: ElementwiseTable = buildTable();

export function isUnaryKind(k: OpKind): k is UnaryKind {
  return k in UNARY_RULES;
}

export function isBinaryKind(k: OpKind): k is BinaryKind {
  return k in BINARY_RULES;
}
