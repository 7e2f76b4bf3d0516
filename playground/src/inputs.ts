// Inputs for a test run of any graph: every symbol bound to a small size, token ids within the
// smallest vocabulary of the built-in models, masks that mask nothing, seeded floats.

import { type Graph, type SymbolEnv, type Tensor, isSymbol, resolveDim, tensor } from '@smelt/ir';

/** batch 1, every other symbol `len`. */
export function sampleEnv(symbols: readonly string[], len = 8): SymbolEnv {
  return new Map(symbols.map((s) => [s, s === 'batch' ? 1 : len] as [string, number]));
}

export function sampleInputs(graph: Graph, len = 8): Map<string, Tensor> {
  const symbols = [...new Set(graph.inputs.flatMap((v) => v.type.shape.filter((d): d is string => isSymbol(d))))];
  const env = sampleEnv(symbols, len);
  let seed = 7;
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return new Map(graph.inputs.map((v) => {
    const shape = v.type.shape.map((d) => resolveDim(d, env));
    const n = shape.reduce((a, b) => a * b, 1);
    const t = v.type.dtype === 'i32' ? tensor('i32', shape, Int32Array.from({ length: n }, (_, i) => 3 + (i % 7)))
      : v.type.dtype === 'bool' ? tensor('bool', shape, new Uint8Array(n))
        : tensor(v.type.dtype, shape, Float32Array.from({ length: n }, next) as never);
    return [v.name!, t] as [string, Tensor];
  }));
}
