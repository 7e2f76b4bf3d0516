// Constant folding: a node whose operands are all constants (or that has none, like iota), whose
// results have fully known shapes and whose attributes hold no symbolic dim (a slice starting at
// `past` depends on the run) is evaluated once, with the interpreter's own op
// meaning, and replaced by constants. The positional table folds this way; a causal mask folds
// when its length is a known number (a symbolic one stays for the attention fusion to read).

import { type Graph, OPS, type Tensor, dependsOnSymbols } from '@smelt/ir';
import { constantOf } from '../match.ts';
import { Rewriter } from '../rewrite.ts';
import { deadCodeElimination } from './dce.ts';

const EMPTY_ENV = new Map<string, number>();

export function foldConstants(g: Graph): boolean {
  const rw = new Rewriter(g);
  let changed = false;
  for (const node of [...g.nodes]) {
    if (node.op === 'constant') continue;
    const operands = node.inputs.map((v) => constantOf(v)?.attrs.value);
    if (dependsOnSymbols(node.op, node.attrs, node.outputs.map((v) => v.type)) || operands.some((t) => t === undefined)) continue;
    const results = OPS[node.op].evaluate(operands as Tensor[], node.attrs as never, EMPTY_ENV);
    results.forEach((value, i) => rw.replace(node.outputs[i], rw.insertBefore(node, 'constant', [], { value })[0]));
    changed = true;
  }
  if (changed) deadCodeElimination(g);
  return changed;
}
