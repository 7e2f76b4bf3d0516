// Constant folding: a node whose operands are all constants (or that has none, like iota) and
// whose results have fully known shapes is evaluated once, with the interpreter's own op
// meaning, and replaced by constants. The positional table folds this way; a causal mask folds
// when its length is a known number (a symbolic one stays for the attention fusion to read).

import { type Graph, OPS, type Tensor } from '@smelt/ir';
import { constantOf } from '../match.ts';
import { Rewriter } from '../rewrite.ts';
import { deadCodeElimination } from './dce.ts';

const EMPTY_ENV = new Map<string, number>();

export function foldConstants(g: Graph): boolean {
  const rw = new Rewriter(g);
  let changed = false;
  for (const node of [...g.nodes]) {
    if (node.op === 'constant') continue;
    const concrete = node.outputs.every((v) => v.type.shape.every((d) => typeof d === 'number'));
    const operands = node.inputs.map((v) => constantOf(v)?.attrs.value);
    if (!concrete || operands.some((t) => t === undefined)) continue;
    const results = OPS[node.op].evaluate(operands as Tensor[], node.attrs as never, EMPTY_ENV);
    results.forEach((value, i) => rw.replace(node.outputs[i], rw.insertBefore(node, 'constant', [], { value })[0]));
    changed = true;
  }
  if (changed) deadCodeElimination(g);
  return changed;
}
