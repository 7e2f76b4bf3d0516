// Small ONNX models written in TypeScript for the importer's error and fuzz tests: a ModelProto as
// a plain object, encoded by protobufjs over the same official schema the importer decodes with.

import { modelProtoType } from '../packages/onnx/src/decode.ts';

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, number | number[] | string | { floats: number[] } | { float: number } | { graph: GraphSpec }>>;
}

/** A subgraph (a Loop's body): its nodes, inputs and outputs as value infos. */
export interface GraphSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly object[];
  readonly outputs: readonly object[];
}

const FLOAT = 1;
const INT64 = 7;

function attribute(name: string, v: NonNullable<NodeSpec['attrs']>[string]): object {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  if ('graph' in v) return { name, type: 5, g: graphProto('body', v.graph) };
  return { name, type: 1, f: v.float };
}

/** A value info of a sequence of tensors of an element type (a Loop body's carried sequence). */
export function sequenceInfo(name: string, elemType: number): object {
  return { name, type: { sequence_type: { elem_type: { tensor_type: { elem_type: elemType } } } } };
}

function graphProto(name: string, g: GraphSpec & { readonly initializers?: readonly object[] }): object {
  return {
    name,
    node: g.nodes.map((n, i) => ({
      name: n.name ?? `${n.op}_${i}`, op_type: n.op, domain: n.domain ?? '', input: n.inputs, output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
    initializer: g.initializers ?? [],
    input: g.inputs,
    output: g.outputs,
  };
}

export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): object {
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } };
}

export function f32Initializer(name: string, dims: readonly number[], values: readonly number[]): object {
  return { name, dims, data_type: FLOAT, raw_data: new Uint8Array(Float32Array.from(values).buffer) };
}

export function i64Initializer(name: string, values: readonly number[]): object {
  return { name, dims: [values.length], data_type: INT64, raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly object[];
  readonly outputs: readonly object[];
  readonly initializers?: readonly object[];
  readonly opset?: number;
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const type = modelProtoType();
  const model = {
    ir_version: 8,
    producer_name: 'smelt-tests',
    opset_import: [{ domain: '', version: spec.opset ?? 17 }],
    graph: graphProto('g', spec),
  };
  const err = type.verify(model);
  if (err) throw new Error(`encodeModel: ${err}`);
  return type.encode(type.fromObject(model)).finish();
}

/** A small MLP with a shape subgraph: y = softmax(relu(x W1ᵀ + b1) reshaped by Shape/Gather/Concat, W2). */
export function mlpModel(): ModelSpec {
  const w = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed + i));
  return {
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['r', 'shape'], outputs: ['r2'] },
      { op: 'MatMul', inputs: ['r2', 'w2'], outputs: ['z'] },
      { op: 'Softmax', inputs: ['z'], outputs: ['y'], attrs: { axis: -1 } },
    ],
    inputs: [valueInfo('x', FLOAT, ['batch', 4])],
    outputs: [valueInfo('y', FLOAT, ['batch', 3])],
    initializers: [
      f32Initializer('w1', [6, 4], w(24, 1)), f32Initializer('b1', [6], w(6, 2)), f32Initializer('w2', [6, 3], w(18, 3)),
      i64Initializer('zero', [0]).valueOf() as object, i64Initializer('axes0', [0]), i64Initializer('minus1', [-1]),
    ].map((t, i) => (i === 3 ? { ...(t as object), dims: [] } : t)),
  };
}
