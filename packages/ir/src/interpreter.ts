// The reference interpreter: runs any graph on typed arrays, op by op, with each op's reference
// evaluation from the table. It is the meaning of the IR and the oracle every pass and backend is
// tested against. Clear over clever; values are dropped after their last use.

import type { Graph, Value } from './graph.ts';
import { OPS } from './ops/table.ts';
import { type SymbolEnv, bindShape, formatDims, formatType, resolveShape } from './shape.ts';
import type { Tensor } from './tensor.ts';

export type TensorMap = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

function lookup(m: TensorMap, name: string): Tensor | undefined {
  return m instanceof Map ? m.get(name) : (m as Record<string, Tensor>)[name];
}

/** Check a named tensor against its declared value and bind its shape's symbols. */
function bindValue(kind: string, v: Value, t: Tensor | undefined, env: Map<string, number>): Tensor {
  const name = v.name ?? '?';
  if (!t) throw new Error(`missing ${kind} "${name}": expected ${formatType(v.type)}`);
  if (t.dtype !== v.type.dtype) throw new Error(`${kind} "${name}": expected dtype ${v.type.dtype}, got ${t.dtype} ${formatDims(t.shape)}`);
  try {
    bindShape(name, v.type.shape, t.shape, env);
  } catch (e) {
    throw new Error(`${kind} ${(e as Error).message.replace(/^input /, '')}`);
  }
  return t;
}

export interface RunResult {
  readonly outputs: Map<string, Tensor>;
  readonly symbols: SymbolEnv;
}

/** Evaluate a graph: inputs and params by name in, outputs by name out. */
export function interpret(g: Graph, inputs: TensorMap, params: TensorMap): Map<string, Tensor> {
  return interpretWithSymbols(g, inputs, params).outputs;
}

export function interpretWithSymbols(g: Graph, inputs: TensorMap, params: TensorMap): RunResult {
  const env = new Map<string, number>();
  const values = new Map<Value, Tensor>();
  for (const v of g.inputs) values.set(v, bindValue('input', v, lookup(inputs, v.name!), env));
  for (const v of g.params) values.set(v, bindValue('weight', v, lookup(params, v.name!), env));
  const lastUse = new Map<Value, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  const kept = new Set(g.outputs.map((o) => o.value));
  g.nodes.forEach((node, i) => {
    const args = node.inputs.map((v) => values.get(v)!);
    let results: Tensor[];
    try {
      results = OPS[node.op].evaluate(args, node.attrs as never, env);
    } catch (e) {
      throw new Error(`${node.op}${node.loc ? ` (${node.loc})` : ''}: ${(e as Error).message}`);
    }
    node.outputs.forEach((v, j) => {
      const want = resolveShape(v.type.shape, env);
      const got = results[j];
      if (got.dtype !== v.type.dtype || got.shape.length !== want.length || got.shape.some((d, k) => d !== want[k])) {
        throw new Error(`${node.op}: evaluation gave ${got.dtype}${formatDims(got.shape)}, its rule says ${v.type.dtype}${formatDims(want)}`);
      }
      values.set(v, got);
    });
    for (const v of new Set(node.inputs)) if (lastUse.get(v) === i && !kept.has(v)) values.delete(v);
  });
  const outputs = new Map<string, Tensor>();
  for (const o of g.outputs) outputs.set(o.name, values.get(o.value)!);
  return { outputs, symbols: env };
}
