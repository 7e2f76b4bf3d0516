// Merge projections that share an input: several x @ Wᵢᵀ (+ bᵢ) with the same x become one
// matmul over the concatenated weights, then a split. Q, K and V of self-attention written as
// three Linears turn into the packed projection PyTorch uses; an already packed one is kept.
// The weight concat depends on parameters only, so lowering computes it once at load time.

import type { Graph, Node, Value } from '@smelt/ir';
import { isOp } from '../match.ts';
import { Rewriter } from '../rewrite.ts';
import { deadCodeElimination } from './dce.ts';

interface Projection {
  readonly matmul: Node<'matmul'>;
  /** The single add of a 1-D parameter bias that consumes the matmul, if any. */
  readonly biasAdd?: Node<'add'>;
}

function isParam(v: Value): boolean {
  return v.def.kind === 'param';
}

/** The add of a 1-D parameter bias `b` (as `y + b`) when it is the only use of y. */
function biasAdd(y: Value, w: Value, rw: Rewriter): Node<'add'> | undefined {
  const add = rw.soleUser(y);
  if (!isOp(add, 'add') || add.inputs[0] !== y) return undefined;
  const b = add.inputs[1];
  return isParam(b) && b.type.shape.length === 1 && b.type.shape[0] === w.type.shape[0] ? add : undefined;
}

function projectionsByInput(g: Graph, rw: Rewriter): Map<Value, Projection[]> {
  const groups = new Map<Value, Projection[]>();
  for (const n of g.nodes) {
    if (n.op !== 'matmul') continue;
    const m = n as Node<'matmul'>;
    const w = m.inputs[1];
    if (m.attrs.transA || !m.attrs.transB || !isParam(w) || w.type.shape.length !== 2) continue;
    const bias = biasAdd(m.outputs[0], w, rw);
    const list = groups.get(m.inputs[0]) ?? [];
    list.push({ matmul: m, biasAdd: bias });
    groups.set(m.inputs[0], list);
  }
  return groups;
}

// x@W1ᵀ(+b1), …, x@Wnᵀ(+bn) = split(x @ concat(W1..Wn)ᵀ (+ concat(b1..bn)))
export function mergeProjections(g: Graph): boolean {
  const rw = new Rewriter(g);
  let changed = false;
  for (const [x, group] of projectionsByInput(g, rw)) {
    if (group.length < 2) continue;
    const first = group.map((p) => p.matmul).sort((a, b) => g.nodes.indexOf(a) - g.nodes.indexOf(b))[0];
    const sizes = group.map((p) => p.matmul.inputs[1].type.shape[0]);
    const [w] = rw.insertBefore(first, 'concat', group.map((p) => p.matmul.inputs[1]), { axis: 0 });
    let [y] = rw.insertBefore(first, 'matmul', [x, w], { transA: false, transB: true });
    const withBias = group.every((p) => p.biasAdd);
    if (withBias) {
      const [b] = rw.insertBefore(first, 'concat', group.map((p) => p.biasAdd!.inputs[1]), { axis: 0 });
      [y] = rw.insertBefore(first, 'add', [y, b], {});
    }
    const parts = rw.insertBefore(first, 'split', [y], { axis: -1, sizes });
    group.forEach((p, i) => rw.replace(withBias ? p.biasAdd!.outputs[0] : p.matmul.outputs[0], parts[i]));
    changed = true;
  }
  if (changed) deadCodeElimination(g);
  return changed;
}
