// Fusion: a gated feed-forward (SwiGLU, GeGLU) as one matmul whose epilogue reads the other:
// act(x @ W1) * (x @ W3) becomes linear(x, W1, x @ W3) {epilogue = mul(act($0), $1)}, so the gate's
// product, its activation and the gating multiply are one kernel and the up projection is a plain
// matmul its epilogue reads. Runs before merge-projections, which would otherwise join the two
// products into one matmul and a split (two more copies and an elementwise kernel).

import { type Expr, type Node, type Value, hasTrait, printExpr, producer, shapesEqual } from '@smelt/ir';
import { nodeExpr } from '../elementwise-expr.ts';
import { isOp } from '../match.ts';
import type { Rewriter, Rule } from '../rewrite.ts';

/** act(x @ W1) read only by the gating multiply: the activation and its matmul. */
function gate(v: Value, rw: Rewriter): { act: Node; mm: Node<'matmul'> } | undefined {
  const act = producer(v);
  if (!act || rw.useCount(v) !== 1 || !hasTrait(act.op, 'elementwise') || act.inputs.length !== 1 || act.outputs.length !== 1) return undefined;
  const mm = rw.singleUse(act.inputs[0], 'matmul');
  return mm && !mm.attrs.transA && v.type.dtype === 'f32' ? { act, mm } : undefined;
}

// mul(act(x @ W1), x @ W3) → linear(x, W1, x @ W3) {epilogue = mul(act($0), $1)}
export const gatedLinear: Rule = {
  name: 'gated-linear',
  law: 'mul(act(x @ W1), x @ W3) → linear(x, W1, x @ W3) {epilogue = mul(act($0), $1)}',
  apply(n, rw) {
    if (n.op !== 'mul') return false;
    for (const [g, u] of [[0, 1], [1, 0]]) {
      const found = gate(n.inputs[g], rw);
      const up = producer(n.inputs[u]);
      if (!found || !isOp(up, 'matmul') || up.attrs.transA || up.inputs[0] !== found.mm.inputs[0] || up === found.mm) continue;
      if (!shapesEqual(n.outputs[0].type.shape, found.mm.outputs[0].type.shape)) continue;
      const epilogue: Expr = { k: 'op', op: 'mul', args: [nodeExpr(found.act, [{ k: 'in', i: 0 }]), { k: 'in', i: 1 }] };
      const [y] = rw.insertBefore(n, 'linear', [found.mm.inputs[0], found.mm.inputs[1], n.inputs[u]], {
        transB: found.mm.attrs.transB, epilogue: printExpr(epilogue),
      });
      rw.replace(n.outputs[0], y);
      return true;
    }
    return false;
  },
};
