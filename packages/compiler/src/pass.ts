// What a pass is: a name, one sentence on what it does, and a function that edits the graph in
// place and says whether it changed anything.

import type { Graph } from '@smelt/ir';
import { applyRules, type Rule } from './rewrite.ts';

export interface Pass {
  readonly name: string;
  readonly description: string;
  run(g: Graph): boolean;
}

/** A pass that runs a rule set to a fixed point. */
export function rulePass(name: string, description: string, rules: readonly Rule[]): Pass {
  return { name, description, run: (g) => applyRules(g, rules) };
}
