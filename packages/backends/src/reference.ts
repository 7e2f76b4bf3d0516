// The reference backend: the interpreter behind the Backend interface. It defines meaning; every
// other backend is checked against it. Inputs pass the same check as on every backend first.

import { type Graph, type Tensor, interpret } from '@smelt/ir';
import { inputContract, optimize } from '@smelt/compiler';
import type { Backend, CompileOptions, Executable, TensorInputs } from './backend.ts';
import { checkGraph } from './graph-checks.ts';
import { checkInputs, inputOf } from './input-check.ts';

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
    return {
      async run(inputs) {
        checkInputs(contract, inputs);
        return interpret(g, new Map(contract.inputs.map(({ name }) => [name, inputOf(inputs, name) as Tensor])), weights);
      },
      dispose() {},
    };
  },
};
