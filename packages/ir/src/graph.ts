// The graph IR: SSA values with types, nodes in topological order, named inputs, named
// parameters (weights, with their full dotted names) and named outputs. Passes edit it in place
// through the few helpers below; the verifier (verify.ts) checks every invariant again.

import type { OpAttrs, OpKind } from './ops/types.ts';
import type { TensorType } from './shape.ts';

export type ValueDef =
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'node'; readonly node: Node; readonly index: number };

let nextValueId = 0;

export class Value {
  readonly id = nextValueId++;
  constructor(
    public type: TensorType,
    public def: ValueDef,
  ) {}

  /** The input or parameter name, if this value is one. */
  get name(): string | undefined {
    return this.def.kind === 'node' ? undefined : this.def.name;
  }
}

export interface Node<K extends OpKind = OpKind> {
  readonly op: K;
  inputs: Value[];
  attrs: OpAttrs[K];
  outputs: Value[];
  /** The DSL caller's file:line that built this node, for error messages. */
  loc?: string;
}

/**
 * A node as the union of its kinds, so a switch on `op` narrows `attrs` to that op's attributes.
 * `opNode` is the one conversion: the builder, the parser and the rewriter only make nodes whose
 * attributes are their op's (checked against its attribute specs).
 */
export type OpNode = { [K in OpKind]: Node<K> }[OpKind];
export const opNode = (n: Node): OpNode => n as OpNode;

export interface GraphOutput {
  readonly name: string;
  value: Value;
}

export class Graph {
  readonly inputs: Value[] = [];
  readonly params: Value[] = [];
  nodes: Node[] = [];
  readonly outputs: GraphOutput[] = [];

  constructor(public name: string) {}

  addInput(name: string, type: TensorType): Value {
    const v = new Value(type, { kind: 'input', name });
    this.inputs.push(v);
    return v;
  }

  addParam(name: string, type: TensorType): Value {
    const v = new Value(type, { kind: 'param', name });
    this.params.push(v);
    return v;
  }

  /** Append a node whose result types are already known (builder and parser check them first). */
  addNode<K extends OpKind>(op: K, inputs: Value[], attrs: OpAttrs[K], types: readonly TensorType[], loc?: string): Node<K> {
    const node: Node<K> = { op, inputs, attrs, outputs: [], loc };
    node.outputs = types.map((t, index) => new Value(t, { kind: 'node', node, index }));
    this.nodes.push(node as Node);
    return node;
  }

  setOutput(name: string, value: Value): void {
    this.outputs.push({ name, value });
  }

  param(name: string): Value | undefined {
    return this.params.find((p) => p.name === name);
  }

  input(name: string): Value | undefined {
    return this.inputs.find((p) => p.name === name);
  }
}

/** Replace every use of `from` (operands and graph outputs) by `to`. */
export function replaceAllUses(g: Graph, from: Value, to: Value): void {
  for (const n of g.nodes) {
    for (let i = 0; i < n.inputs.length; i++) if (n.inputs[i] === from) n.inputs[i] = to;
  }
  for (const o of g.outputs) if (o.value === from) o.value = to;
}

/** How many times each value is used (as an operand or as a graph output). */
export function useCounts(g: Graph): Map<Value, number> {
  const uses = new Map<Value, number>();
  const bump = (v: Value) => uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of g.nodes) n.inputs.forEach(bump);
  for (const o of g.outputs) bump(o.value);
  return uses;
}

/** The nodes that use each value. */
export function usersOf(g: Graph): Map<Value, Node[]> {
  const users = new Map<Value, Node[]>();
  for (const n of g.nodes) {
    for (const v of new Set(n.inputs)) {
      const list = users.get(v);
      if (list) list.push(n);
      else users.set(v, [n]);
    }
  }
  return users;
}

export function producer(v: Value): Node | undefined {
  return v.def.kind === 'node' ? v.def.node : undefined;
}

/** Count nodes per op kind, sorted by kind. */
export function opCounts(g: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of g.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A deep copy of the graph structure (values and nodes are new; attribute objects are shared). */
export function cloneGraph(g: Graph): Graph {
  const out = new Graph(g.name);
  const map = new Map<Value, Value>();
  for (const v of g.inputs) map.set(v, out.addInput(v.name!, v.type));
  for (const v of g.params) map.set(v, out.addParam(v.name!, v.type));
  for (const n of g.nodes) {
    const copy = out.addNode(n.op, n.inputs.map((v) => map.get(v)!), n.attrs, n.outputs.map((v) => v.type), n.loc);
    n.outputs.forEach((v, i) => map.set(v, copy.outputs[i]));
  }
  for (const o of g.outputs) out.setOutput(o.name, map.get(o.value)!);
  return out;
}
