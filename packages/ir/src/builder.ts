// The graph builder behind the DSL: every op call checks operand count and attributes, infers
// result types at once, and on failure throws a ShapeError naming the op, the operand types
// and the user's file:line. Other mistakes while building (a name declared twice, a value of
// another builder) are BuildErrors, located the same way.

import { type AttrSpec, canonicalAttrs, canonicalShape, checkAttr } from './attrs.ts';
import { userCallSite } from './callsite.ts';
import type { DType } from './dtype.ts';
import { Graph, type Value } from './graph.ts';
import { OPS, operandRange } from './ops/table.ts';
import type { OpAttrs, OpKind } from './ops/types.ts';
import { type Shape, checkDim, formatType } from './shape.ts';

export class ShapeError extends Error {
  override name = 'ShapeError';
  constructor(readonly op: string, readonly operands: string, readonly reason: string, readonly loc: string | undefined) {
    super(`${loc ? `${loc}: ` : ''}${op}(${operands}): ${reason}`);
  }
}

/** A mistake while building a graph other than a shape rule: "file:line:col: what is wrong". */
export class BuildError extends Error {
  override name = 'BuildError';
  constructor(readonly reason: string, readonly loc: string | undefined = userCallSite()) {
    super(`${loc ? `${loc}: ` : ''}${reason}`);
  }
}

export class GraphBuilder {
  readonly graph: Graph;
  /** Values of this graph: operands from another builder's graph are refused. */
  private readonly own = new Set<Value>();

  constructor(name: string) {
    this.graph = new Graph(name);
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    const dims = canonicalShape(shape);
    this.checkNewName(name, dims);
    return this.adopt(this.graph.addInput(name, { dtype, shape: dims }));
  }

  param(name: string, dtype: DType, shape: Shape): Value {
    const dims = canonicalShape(shape);
    this.checkNewName(name, dims);
    return this.adopt(this.graph.addParam(name, { dtype, shape: dims }));
  }

  output(name: string, value: Value): void {
    if (this.graph.outputs.some((o) => o.name === name)) throw new BuildError(`output ${JSON.stringify(name)} is declared twice`);
    if (!this.own.has(value)) throw new BuildError(`output ${JSON.stringify(name)}: ${this.foreign(value)}`);
    this.graph.setOutput(name, value);
  }

  /** Add one op; results are typed now or a ShapeError says why not. */
  emit<K extends OpKind>(op: K, inputs: readonly Value[], given: OpAttrs[K]): Value[] {
    const loc = userCallSite();
    const operands = inputs.map((v) => formatType(v.type)).join(', ');
    inputs.forEach((v, i) => {
      if (!this.own.has(v)) throw new BuildError(`${op}(${operands}): operand ${i} ${this.foreign(v)}`, loc);
    });
    const fail = (why: string): never => { throw new ShapeError(op, operands, why, loc); };
    const [min, max] = operandRange(op);
    if (inputs.length < min || inputs.length > max) fail(`takes ${min === max ? min : `${min} to ${max}`} operands, got ${inputs.length}`);
    const specs = OPS[op].attrs as Record<string, AttrSpec>;
    const attrs = canonicalAttrs(specs, given) as OpAttrs[K];
    try {
      for (const [k, spec] of Object.entries(specs)) checkAttr(op, k, spec, (attrs as Record<string, unknown>)[k]);
    } catch (e) {
      fail((e as Error).message.replace(`${op}: `, ''));
    }
    let types;
    try {
      types = OPS[op].infer(inputs.map((v) => v.type), attrs);
    } catch (e) {
      return fail((e as Error).message);
    }
    return this.graph.addNode(op, [...inputs], attrs, types, loc).outputs.map((v) => this.adopt(v));
  }

  private adopt(v: Value): Value {
    this.own.add(v);
    return v;
  }

  private foreign(v: Value): string {
    const what = v.def.kind === 'node' ? `(the ${formatType(v.type)} result of ${v.def.node.op})` : `(${v.def.kind} ${JSON.stringify(v.def.name)})`;
    return `${what} is from another GraphBuilder, not from the one building ${JSON.stringify(this.graph.name)}`;
  }

  private checkNewName(name: string, shape: Shape): void {
    if (name.length === 0) throw new BuildError('input and parameter names must be non-empty');
    const kind = this.graph.input(name) ? 'an input' : this.graph.param(name) ? 'a parameter' : undefined;
    if (kind) throw new BuildError(`${JSON.stringify(name)} is declared twice (already ${kind} of ${JSON.stringify(this.graph.name)})`);
    try {
      for (const d of shape) checkDim(d, JSON.stringify(name));
    } catch (e) {
      throw new BuildError((e as Error).message);
    }
  }
}
