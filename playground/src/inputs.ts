// Inputs for a test run of any graph, within what the graph's input contract allows: batch 1,
// every other symbol 8 (or its bound if smaller), token ids inside the table each indexes, masks
// that mask nothing, seeded floats.

import { type Graph, type SymbolEnv, type Tensor, isSymbol, resolveDim, tensor } from '@smelt/ir';
import { inputContract } from '@smelt/compiler';

/** batch 1, every other symbol `len`. */
export function sampleEnv(symbols: readonly string[], len = 8): SymbolEnv {
  return new Map(symbols.map((s) => [s, s === 'batch' ? 1 : len] as [string, number]));
}

export function sampleInputs(graph: Graph, len = 8): Map<string, Tensor> {
  const contract = inputContract(graph);
  const symbols = [...new Set(graph.inputs.flatMap((v) => v.type.shape.filter((d): d is string => isSymbol(d))))];
  const env = new Map(sampleEnv(symbols, len));
  for (const b of contract.symbolBounds) env.set(b.symbol, Math.max(1, Math.min(env.get(b.symbol) ?? len, b.max)));
  let seed = 7;
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return new Map(graph.inputs.map((v) => {
    const shape = v.type.shape.map((d) => resolveDim(d, env));
    const n = shape.reduce((a, b) => a * b, 1);
    const bound = contract.indexBounds.find((b) => b.input === v.name);
    const rows = bound ? resolveDim(bound.rows, env) : Infinity;
    const id = (i: number) => (rows > 10 ? 3 + (i % 7) : i % rows);
    const t = v.type.dtype === 'i32' ? tensor('i32', shape, Int32Array.from({ length: n }, (_, i) => id(i)))
      : v.type.dtype === 'bool' ? tensor('bool', shape, new Uint8Array(n))
        : tensor(v.type.dtype, shape, Float32Array.from({ length: n }, next) as never);
    return [v.name!, t] as [string, Tensor];
  }));
}
