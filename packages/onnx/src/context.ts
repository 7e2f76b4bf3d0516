// The state of one import: the graph being built, every ONNX value name's current value, the
// weights, and the node being converted (for errors and typed attribute access). Converters
// (ops/*.ts) see a NodeContext: its inputs as values, vars or static tensors, its attributes by
// type, and errors that name the node, its op type, domain and opset. Names live in scopes: a
// Loop body unrolled at import sees the outer names and its own, one scope per iteration.

import {
  type DType, type Dim, GraphBuilder, type Tensor, Var, constant, numel, scalar, tensor,
} from '@smelt/ir';
import type { OnnxAttribute, OnnxGraph, OnnxNode } from './decode.ts';
import { type NodeRef, OnnxFormatError, OnnxUnsupportedError, describeNode } from './errors.ts';
import { type ExternalData, tensorValues, toSmeltTensor } from './tensors.ts';
import { STATIC_LIMIT, type Sequence, type Slot, type Static, type Val, asStatic, staticOf } from './values.ts';
import type { OnnxTensor } from './decode.ts';

/** ONNX value names to what they hold; a nested scope (a Loop body's) reads through to its parent. */
export class Scope {
  private readonly names = new Map<string, Slot>();

  constructor(readonly parent?: Scope) {}

  get(name: string): Slot | undefined {
    return this.names.get(name) ?? this.parent?.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, v: Slot): void {
    this.names.set(name, v);
  }
}

/** Converts one node of a graph (import.ts), for converters that run subgraphs (Loop). */
export type NodeConverter = (state: ImportState, node: OnnxNode, opset: number) => void;

export class ImportState {
  values = new Scope();
  readonly weights = new Map<string, Tensor>();
  private readonly params = new Map<string, Var>();

  constructor(readonly b: GraphBuilder, readonly external: ExternalData | undefined, readonly convert: NodeConverter) {}

  /** Run `f` with a fresh scope over the current one (a subgraph's names), then drop it. */
  inScope<T>(f: (scope: Scope) => T): T {
    const outer = this.values;
    this.values = new Scope(outer);
    try {
      return f(this.values);
    } finally {
      this.values = outer;
    }
  }

  /** A weight as a graph parameter, declared once under its ONNX name. */
  param(name: string, t: Tensor): Var {
    let p = this.params.get(name);
    if (!p) {
      p = new Var(this.b, this.b.param(name, t.dtype, t.shape));
      this.params.set(name, p);
      this.weights.set(name, t);
    }
    return p;
  }
}

/** The most elements a constant the importer makes may have (a fill of a corrupted shape must not exhaust memory). */
const MAX_CONSTANT = 2 ** 24;

const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7 } as const;
const ATTR_NAMES: Record<number, string> = { 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS' };

export class NodeContext {
  readonly ref: NodeRef;

  constructor(readonly state: ImportState, readonly node: OnnxNode, opset: number) {
    this.ref = { name: node.name, opType: node.opType, domain: node.domain, opset };
  }

  get b(): GraphBuilder { return this.state.b; }
  get opset(): number { return this.ref.opset; }
  get arity(): number { return this.node.inputs.length; }

  unsupported(why: string): never {
    throw new OnnxUnsupportedError(`${describeNode(this.ref)}: ${why}`);
  }

  malformed(why: string): never {
    throw new OnnxFormatError(`${describeNode(this.ref)}: ${why}`);
  }

  /** Whether optional input i is given (present and not the empty name). */
  has(i: number): boolean {
    return i < this.node.inputs.length && this.node.inputs[i] !== '';
  }

  /** Input i, a tensor or a sequence. */
  slot(i: number): Slot {
    const name = this.node.inputs[i];
    if (name === undefined || name === '') this.malformed(`input ${i} is missing`);
    const v = this.state.values.get(name);
    if (!v) this.malformed(`input ${i} ${JSON.stringify(name)} is not produced by any earlier node, input or initializer`);
    return v;
  }

  /** Input i, a tensor. */
  input(i: number): Val {
    const v = this.slot(i);
    if (v.kind === 'sequence') this.malformed(`input ${i} ${JSON.stringify(this.node.inputs[i])} is a sequence, where a tensor is expected`);
    return v;
  }

  /** Input i, a sequence. */
  sequence(i: number): Sequence {
    const v = this.slot(i);
    if (v.kind !== 'sequence') this.malformed(`input ${i} ${JSON.stringify(this.node.inputs[i])} is a tensor, where a sequence is expected`);
    return v;
  }

  /** Input i as a graph value (a weight becomes a parameter, a static tensor a constant). */
  var(i: number): Var {
    return this.toVar(this.input(i), `input ${i}`);
  }

  /** Input i as a value known at import, or an error saying it must be one. */
  static(i: number, what: string): Static {
    const s = asStatic(this.input(i));
    if (!s) this.unsupported(`${what} (input ${i}) must be known at import (a constant or computed from shapes), but it depends on tensor data`);
    return s;
  }

  /** Input i as a list of integers known at import (axes, pads, an opset-13 Split's sizes). */
  ints(i: number, what: string): number[] {
    const s = this.static(i, what);
    return s.values.map((e) => {
      if (typeof e !== 'number' || !Number.isInteger(e)) this.unsupported(`${what} must be integers known at import, got ${e}`);
      return e;
    });
  }

  toVar(v: Val, what: string): Var {
    switch (v.kind) {
      case 'var': return v.v;
      case 'weight': return this.state.param(v.name, v.tensor);
      case 'fill': return this.fillVar(v.shape, v.value, v.dtype);
      case 'static': {
        if (!v.values.every((e) => typeof e === 'number')) {
          this.unsupported(`${what} holds the symbolic sizes [${v.values.join(', ')}] as tensor data; smelt keeps sizes in shapes only`);
        }
        const t = tensor(v.dtype, v.shape);
        const values = v.values as number[];
        if (v.dtype === 'i32' && !values.every((x) => x >= -2147483648 && x <= 2147483647)) {
          this.unsupported(`${what} holds integers beyond 32 bits ([${values.slice(0, 8).join(', ')}${values.length > 8 ? ', …' : ''}]), which smelt's integer tensors cannot`);
        }
        (t.data as Float32Array).set(values);
        return constant(this.b, t);
      }
      default: return v satisfies never;
    }
  }

  /** A tensor of `shape` filled with `value`: a constant when the shape is known, else a scalar expanded to it. */
  fillVar(shape: readonly Dim[], value: number, dtype: DType): Var {
    if (shape.every((d) => typeof d === 'number')) {
      if (numel(shape as number[]) > MAX_CONSTANT) this.unsupported(`a constant of shape [${shape.join(', ')}] is too large to hold in the graph (at most ${MAX_CONSTANT} elements)`);
      const t = tensor(dtype, shape as number[]);
      if (numel(t.shape) > 0) (t.data as Float32Array).fill(value);
      return constant(this.b, t);
    }
    return scalar(this.b, value, dtype).expand(shape);
  }

  private attribute(name: string, type: number): OnnxAttribute | undefined {
    const a = this.node.attributes.find((x) => x.name === name);
    if (a && a.type !== 0 && a.type !== type) this.malformed(`attribute ${name} is ${ATTR_NAMES[a.type] ?? a.type}, expected ${ATTR_NAMES[type]}`);
    return a;
  }

  hasAttr(name: string): boolean {
    return this.node.attributes.some((x) => x.name === name);
  }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    return this.attribute(name, ATTR_TYPE.INT)?.i ?? dflt;
  }

  float(name: string, dflt: number): number {
    return this.attribute(name, ATTR_TYPE.FLOAT)?.f ?? dflt;
  }

  intList(name: string): number[] | undefined {
    const a = this.attribute(name, ATTR_TYPE.INTS);
    return a ? a.ints : undefined;
  }

  floatList(name: string): number[] | undefined {
    const a = this.attribute(name, ATTR_TYPE.FLOATS);
    return a ? a.floats : undefined;
  }

  string(name: string, dflt: string): string {
    const a = this.attribute(name, ATTR_TYPE.STRING);
    return a?.s ? new TextDecoder().decode(a.s) : dflt;
  }

  /** A tensor attribute: small ones as static values (integers at full int64 range), large ones as weights. */
  tensorAttr(name: string): Val | undefined {
    const a = this.attribute(name, ATTR_TYPE.TENSOR);
    if (!a?.t) return undefined;
    return onnxTensorVal(a.t, this.node.outputs[0] ?? name, `${describeNode(this.ref)}, attribute ${name}`, this.state.external, true);
  }

  /** A GRAPH attribute (a Loop's body). */
  graphAttr(name: string): OnnxGraph | undefined {
    return this.attribute(name, ATTR_TYPE.GRAPH)?.g;
  }

  /** An attribute value smelt does not import: names the attribute, the value and what is supported. */
  badAttr(name: string, value: unknown, supported: string): never {
    this.unsupported(`attribute ${name} = ${JSON.stringify(value)} is not supported (supported: ${supported})`);
  }
}

/**
 * An ONNX tensor as an import value. Static (known at import, integers at full int64 range, for
 * shape arithmetic): integer and bool tensors up to STATIC_LIMIT elements, float scalars, and
 * every small Constant (`constant`); everything else is a weight named `name`, a graph parameter.
 */
export function onnxTensorVal(t: OnnxTensor, name: string, what: string, external: ExternalData | undefined, constant = false): Val {
  const n = t.dims.reduce((a, d) => a * d, 1);
  const float = t.dataType === 1 || t.dataType === 10 || t.dataType === 11 || t.dataType === 16;
  if (n <= STATIC_LIMIT && (!float || constant || n === 1)) {
    const { dtype, shape, values } = tensorValues(t, what, external);
    return staticOf(dtype, shape, Array.from(values, (x) => (dtype === 'bool' ? Number(x !== 0) : x)));
  }
  return { kind: 'weight', name, tensor: toSmeltTensor(t, what, external) };
}
