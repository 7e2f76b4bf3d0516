// The JSON form of a graph: the same content as the text, for tools. Values are referred to by
// index in the order inputs, params, then node results. Tensors are base64; non-finite floats
// are the strings "inf", "-inf", "nan" (and -0 is "-0"). graphFromJSON re-checks everything through the builder rules.

import { type AttrSpec, attrDefault, checkAttr, formatNumber, isDefaultAttr } from './attrs.ts';
import { bytesToBase64 } from './base64.ts';
import { type DType, isDType } from './dtype.ts';
import { Graph, type Value } from './graph.ts';
import { parseNumberLiteral } from './expr.ts';
import { OPS, isOpKind, operandRange } from './ops/table.ts';
import type { OpKind } from './ops/types.ts';
import { type Dim, type TensorType, checkDim, formatType, typesEqual } from './shape.ts';
import type { Tensor } from './tensor.ts';
import { tensorFromPayload } from './text-names.ts';

export interface JsonType { dtype: string; shape: Dim[] }
export interface JsonNamed extends JsonType { name: string }
export interface JsonNode { op: string; operands: number[]; attrs: Record<string, unknown>; results: JsonType[] }
export interface JsonGraph {
  name: string;
  inputs: JsonNamed[];
  params: JsonNamed[];
  nodes: JsonNode[];
  outputs: { name: string; value: number }[];
}

function attrToJson(spec: AttrSpec, v: unknown): unknown {
  if (spec.kind === 'tensor') {
    const t = v as Tensor;
    return { dtype: t.dtype, shape: t.shape, base64: bytesToBase64(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)) };
  }
  if (spec.kind === 'float' && (!Number.isFinite(v as number) || Object.is(v, -0))) return formatNumber(v as number);
  return v;
}

function attrFromJson(spec: AttrSpec, v: unknown): unknown {
  if (spec.kind === 'tensor') {
    const t = v as { dtype: string; shape: number[]; base64: string };
    if (!t || !isDType(t.dtype) || !Array.isArray(t.shape) || typeof t.base64 !== 'string') throw new Error('tensor attribute needs dtype, shape and base64');
    return tensorFromPayload(t.dtype, t.shape, `base64:${t.base64}`);
  }
  if (spec.kind === 'float' && typeof v === 'string') return parseNumberLiteral(v);
  return v;
}

export function graphToJSON(g: Graph): JsonGraph {
  const index = new Map<Value, number>();
  const ref = (v: Value) => index.get(v)!;
  const named = (v: Value): JsonNamed => {
    index.set(v, index.size);
    return { name: v.name!, dtype: v.type.dtype, shape: [...v.type.shape] };
  };
  const inputs = g.inputs.map(named);
  const params = g.params.map(named);
  const nodes = g.nodes.map((n): JsonNode => {
    const specs = OPS[n.op].attrs as Record<string, AttrSpec>;
    const given = n.attrs as Record<string, unknown>;
    const attrs = Object.fromEntries(Object.entries(specs).filter(([k, s]) => !isDefaultAttr(s, given[k])).map(([k, s]) => [k, attrToJson(s, given[k])]));
    const operands = n.inputs.map(ref);
    n.outputs.forEach((v) => index.set(v, index.size));
    return { op: n.op, operands, attrs, results: n.outputs.map((v) => ({ dtype: v.type.dtype, shape: [...v.type.shape] })) };
  });
  return { name: g.name, inputs, params, nodes, outputs: g.outputs.map((o) => ({ name: o.name, value: ref(o.value) })) };
}

function typeFromJson(t: JsonType, what: string): TensorType {
  if (!t || !isDType(t.dtype) || !Array.isArray(t.shape)) throw new Error(`${what}: needs a dtype and a shape`);
  t.shape.forEach((d) => checkDim(d, what));
  return { dtype: t.dtype as DType, shape: t.shape };
}

export function graphFromJSON(j: JsonGraph): Graph {
  const g = new Graph(j.name);
  const values: Value[] = [];
  for (const v of j.inputs) values.push(g.addInput(v.name, typeFromJson(v, `input ${v.name}`)));
  for (const v of j.params) values.push(g.addParam(v.name, typeFromJson(v, `param ${v.name}`)));
  j.nodes.forEach((n, i) => {
    if (!isOpKind(n.op)) throw new Error(`node #${i}: unknown op "${n.op}"`);
    const op: OpKind = n.op;
    const [min, max] = operandRange(op);
    if (n.operands.length < min || n.operands.length > max) throw new Error(`node #${i} (${op}): wrong operand count ${n.operands.length}`);
    const operands = n.operands.map((k) => {
      const v = values[k];
      if (!v) throw new Error(`node #${i} (${op}): operand ${k} is not defined before it`);
      return v;
    });
    const specs = OPS[op].attrs as Record<string, AttrSpec>;
    const attrs: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(specs)) {
      attrs[k] = n.attrs[k] === undefined && attrDefault(s) !== undefined ? attrDefault(s) : attrFromJson(s, n.attrs[k]);
      checkAttr(op, k, s, attrs[k]);
    }
    const types = OPS[op].infer(operands.map((v) => v.type), attrs as never);
    const declared = n.results.map((t, r) => typeFromJson(t, `node #${i} result ${r}`));
    if (types.length !== declared.length || !types.every((t, r) => typesEqual(t, declared[r]))) {
      throw new Error(`node #${i} (${op}): results ${declared.map(formatType).join(', ')} disagree with the rule's ${types.map(formatType).join(', ')}`);
    }
    values.push(...g.addNode(op, operands, attrs as never, types).outputs);
  });
  for (const o of j.outputs) {
    const v = values[o.value];
    if (!v) throw new Error(`output "${o.name}": value ${o.value} is not defined`);
    g.setOutput(o.name, v);
  }
  return g;
}
