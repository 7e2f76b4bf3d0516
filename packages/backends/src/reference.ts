// The reference backend: the interpreter behind the Backend interface. It defines meaning; every
// other backend is checked against it; with `weightsDtype` it runs on the dequantized weights. Inputs pass the same check as on every backend first.

import { type Graph, type Tensor, interpret } from '@smelt/ir';
import { compileGraph, inputContract, optimize } from '@smelt/compiler';
import type { Backend, CompileOptions, Executable, TensorInputs } from './backend.ts';
import { checkGraph } from './graph-checks.ts';
import { checkInputs, inputOf } from './input-check.ts';
import { dequantizedWeights, weightsDtypeOf } from './quantize.ts';

export const referenceBackend: Backend = {
  name: 'reference',
  description: 'the reference interpreter (typed arrays, op by op): slow, exact, the oracle',
  async unavailableReason() {
    return undefined;
  },
  async compile(graph: Graph, weights: TensorInputs, options: CompileOptions = {}): Promise<Executable> {
    checkGraph(graph, weights, options);
    const contract = inputContract(graph);
    const g = options.optimize ? optimize(graph, { verifyEach: true }).graph : graph;
    // Quantized weights are dequantized on load: which ones the optimized plan says (quantize.ts).
    const dtype = weightsDtypeOf(options.weightsDtype);
    const values = dtype === 'f32' ? weights : dequantizedWeights(compileGraph(graph).plan, weights, dtype);
    return {
      async run(inputs) {
        checkInputs(contract, inputs);
        return interpret(g, new Map(contract.inputs.map(({ name }) => [name, inputOf(inputs, name) as Tensor])), values);
      },
      dispose() {},
    };
  },
};
