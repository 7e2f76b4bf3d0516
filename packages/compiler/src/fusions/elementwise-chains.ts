// Fusion: chains of elementwise ops become one `fused_elementwise` kernel whose body is an
// expression over its operands (ir/expr.ts), which every backend renders generically.
//
// Policy. Walking from the last node back, an elementwise consumer absorbs an elementwise
// producer when (1) the consumer is the producer's only reader, so nothing else needs the
// intermediate in memory, and (2) the producer's result has the consumer's full shape, so no
// value is recomputed per broadcast element. Scalar f32 constants become literals. Operands that
// are not absorbed (matmul results, weights, broadcast tensors) are the kernel's inputs, each read
// with broadcasting. A group is only formed when it holds two or more ops: a lone op stays itself.
// Nodes touching storage-only dtypes (f16, i64) are never fused.
// Traits decide membership (`elementwise`), never a list of op names.

import { type Expr, type Graph, type Node, type Value, hasTrait, printExpr, producer, shapesEqual } from '@smelt/ir';
import { literalOf, nodeExpr } from '../elementwise-expr.ts';
import { deadCodeElimination } from '../passes/dce.ts';
import { Rewriter } from '../rewrite.ts';

function countOps(e: Expr): number {
  return e.k === 'op' ? 1 + e.args.reduce((s, a) => s + countOps(a), 0) : 0;
}

/** f16 and i64 are storage-only: such nodes stay unfused. */
function computable(n: Node): boolean {
  return [...n.inputs, ...n.outputs].every((v) => v.type.dtype !== 'f16' && v.type.dtype !== 'i64');
}

class GroupBuilder {
  readonly leaves: Value[] = [];
  readonly absorbed = new Set<Node>();

  constructor(private readonly rw: Rewriter, private readonly shape: Node['outputs'][number]['type']['shape']) {}

  expr(v: Value, isRoot = false): Expr {
    const p = producer(v);
    const absorb = p && hasTrait(p.op, 'elementwise') && p.outputs.length === 1 && computable(p) &&
      (isRoot || (this.rw.useCount(v) === 1 && shapesEqual(v.type.shape, this.shape)));
    if (absorb) {
      if (!isRoot) this.absorbed.add(p);
      return nodeExpr(p, p.inputs.map((x) => this.expr(x)));
    }
    const literal = literalOf(v);
    if (literal) return literal;
    let i = this.leaves.indexOf(v);
    if (i < 0) i = this.leaves.push(v) - 1;
    return { k: 'in', i };
  }
}

/** Fuse maximal elementwise groups; true when any group was formed. */
export function fuseElementwiseChains(g: Graph): boolean {
  const rw = new Rewriter(g);
  const done = new Set<Node>();
  let changed = false;
  for (const n of [...g.nodes].reverse()) {
    if (done.has(n) || !hasTrait(n.op, 'elementwise') || n.outputs.length !== 1 || !computable(n)) continue;
    const group = new GroupBuilder(rw, n.outputs[0].type.shape);
    const expr = group.expr(n.outputs[0], true);
    if (group.absorbed.size === 0 || countOps(expr) < 2) continue;
    group.absorbed.forEach((a) => done.add(a));
    const [y] = rw.insertBefore(n, 'fused_elementwise', group.leaves, { expr: printExpr(expr) });
    rw.replace(n.outputs[0], y);
    changed = true;
  }
  if (changed) deadCodeElimination(g);
  return changed;
}
