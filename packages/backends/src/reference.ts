// The reference backend: the interpreter behind the Backend interface. It defines meaning; every
// other backend is checked against it.

import { type Graph, interpret } from '@smelt/ir';
import { optimize } from '@smelt/compiler';
import type { Backend, CompileOptions, Executable, TensorInputs } from './backend.ts';
import { checkGraph } from './graph-checks.ts';

export const referenceBackend: Backend = {
  name: 'reference',
  description: 'the reference interpreter (typed arrays, op by op): slow, exact, the oracle',
  async unavailableReason() {
    return undefined;
  },
  async compile(graph: Graph, weights: TensorInputs, options: CompileOptions = {}): Promise<Executable> {
    checkGraph(graph, weights, options);
    const g = options.optimize ? optimize(graph, { verifyEach: true }).graph : graph;
    return {
      async run(inputs) {
        return interpret(g, inputs, weights);
      },
      dispose() {},
    };
  },
};
