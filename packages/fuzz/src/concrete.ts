// A case at one binding of its symbols, with every tensor given: what the shrinker works on and
// what a kept regression case holds (case-file.ts). checkConcrete runs it on one target, both graphs.

import type { Graph, SymbolEnv, Tensor } from '@smelt/ir';
import { type Mismatch, checkTarget } from './differential.ts';
import type { FuzzCase } from './generate.ts';
import type { Target } from './targets.ts';

export interface ConcreteCase {
  readonly graph: Graph;
  readonly weights: Map<string, Tensor>;
  readonly inputs: Map<string, Tensor>;
  readonly bounds: ReadonlyMap<string, number>;
}

/** The generated case at one binding. */
export function concreteAt(c: FuzzCase, env: SymbolEnv): ConcreteCase {
  return { graph: c.graph, weights: c.weights, inputs: c.inputs(env), bounds: c.bounds };
}

/** As a FuzzCase with the one binding its inputs have. */
export function asFuzzCase(c: ConcreteCase): FuzzCase {
  return { graph: c.graph, weights: c.weights, bounds: c.bounds, envs: [new Map()], inputs: () => c.inputs };
}

/** Mismatches of `target` on the case (the interpreter must have an answer: otherwise it throws). */
export function checkConcrete(c: ConcreteCase, target: Target): Promise<Mismatch[]> {
  return checkTarget(asFuzzCase(c), target);
}
