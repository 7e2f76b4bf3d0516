// Canonicalization: algebraic identities and movement chains collapsed, transposes that move only
// axes of size 1 as reshapes (views), transposes of the last two axes folded into matmul flags, constants moved to the right of commutative ops, division by
// a constant as a product and scalar scales moved out of matmuls (as imported ONNX writes them),
// causal masked fills as the DSL's additive causal mask (masked-fill.ts).

import { type Node, type Shape, type Value, broadcastShapes, hasTrait, producer, shapesEqual, tensor, typesEqual } from '@smelt/ir';
import { constantOf, scalarOf } from '../match.ts';
import type { Rule } from '../rewrite.ts';
import { causalFillSoftmax, notOfComparison } from './masked-fill.ts';

/** A rule that replaces a node's single result with an existing value when `pick` finds one. */
function forward(name: string, law: string, pick: (n: Node) => Value | undefined): Rule {
  return {
    name,
    law,
    apply(n, rw) {
      const v = n.outputs.length === 1 ? pick(n) : undefined;
      if (!v || !typesEqual(v.type, n.outputs[0].type)) return false;
      rw.replace(n.outputs[0], v);
      return true;
    },
  };
}

const IDENTITY_RIGHT: Record<string, number> = { add: 0, sub: 0, mul: 1, div: 1 };

// x + 0 = x, x - 0 = x, x * 1 = x, x / 1 = x (only where the result type is x's: no broadcast)
const identity = forward('identity', 'x + 0 = x - 0 = x * 1 = x / 1 = x', (n) => {
  const unit = IDENTITY_RIGHT[n.op];
  return unit !== undefined && scalarOf(n.inputs[1]) === unit ? n.inputs[0] : undefined;
});

// c ⊕ x = x ⊕ c for commutative ⊕ and a constant c (so later rules look right only)
const constantsRight: Rule = {
  name: 'constants-right',
  law: 'c ⊕ x = x ⊕ c  (⊕ commutative, c constant)',
  apply(n) {
    if (!hasTrait(n.op, 'commutative') || n.inputs.length !== 2) return false;
    if (!constantOf(n.inputs[0]) || constantOf(n.inputs[1])) return false;
    n.inputs.reverse();
    return true;
  },
};

// cast(x : T, T) = x
const castNoop = forward('cast-noop', 'cast(x: T) to T = x', (n) => (n.op === 'cast' ? n.inputs[0] : undefined));

// reshape(x) to x's own shape = x
const reshapeNoop = forward('reshape-noop', 'reshape(x, shape(x)) = x', (n) =>
  n.op === 'reshape' && shapesEqual(n.inputs[0].type.shape, n.outputs[0].type.shape) ? n.inputs[0] : undefined);

// expand(x) to x's own shape = x
const expandNoop = forward('expand-noop', 'expand(x, shape(x)) = x', (n) =>
  n.op === 'expand' && shapesEqual(n.inputs[0].type.shape, n.outputs[0].type.shape) ? n.inputs[0] : undefined);

/** The broadcast of some shapes, or undefined when they do not broadcast. */
function broadcastOf(shapes: readonly Shape[]) {
  try {
    return broadcastShapes(shapes);
  } catch {
    return undefined;
  }
}

// f(expand(x), y…) = f(x, y…) for an elementwise f that broadcasts, when its result keeps its shape
const expandIntoBroadcast: Rule = {
  name: 'expand-into-broadcast',
  law: 'f(expand(x), y…) = f(x, y…)  (f elementwise and broadcasting; same result shape)',
  apply(n, rw) {
    if (!hasTrait(n.op, 'elementwise') || !hasTrait(n.op, 'broadcast')) return false;
    for (let i = 0; i < n.inputs.length; i++) {
      const ex = producer(n.inputs[i]);
      if (ex?.op !== 'expand') continue;
      const shape = broadcastOf(n.inputs.map((v, j) => (j === i ? ex.inputs[0] : v).type.shape));
      if (!shape || !shapesEqual(shape, n.outputs[0].type.shape)) continue;
      rw.setInput(n, i, ex.inputs[0]);
      return true;
    }
    return false;
  },
};

// transpose(x, identity) = x
const transposeNoop = forward('transpose-noop', 'transpose(x, [0, 1, …]) = x', (n) =>
  n.op === 'transpose' && (n as Node<'transpose'>).attrs.perm.every((p, i) => p === i) ? n.inputs[0] : undefined);

// transpose(x, p) = reshape(x, shape(transpose(x, p))) when p moves only axes of size 1: the
// elements keep their order, so the copy is a view (cached decoding's one-token head split and merge)
const transposeAsReshape: Rule = {
  name: 'transpose-as-reshape',
  law: 'transpose(x, p) = reshape(x, p(shape(x)))  (p keeps the order of every axis not of size 1)',
  apply(n, rw) {
    if (n.op !== 'transpose') return false;
    const shape = n.inputs[0].type.shape;
    const moved = (n as Node<'transpose'>).attrs.perm.filter((p) => shape[p] !== 1);
    if (!moved.every((p, i) => i === 0 || moved[i - 1] < p)) return false;
    const [y] = rw.insertBefore(n, 'reshape', [n.inputs[0]], { shape: [...n.outputs[0].type.shape] });
    rw.replace(n.outputs[0], y);
    return true;
  },
};

// reshape(reshape(x, s1), s2) = reshape(x, s2)
const reshapeChain: Rule = {
  name: 'reshape-chain',
  law: 'reshape(reshape(x, s1), s2) = reshape(x, s2)',
  apply(n, rw) {
    if (n.op !== 'reshape') return false;
    const inner = producer(n.inputs[0]);
    if (inner?.op !== 'reshape') return false;
    rw.setInput(n, 0, inner.inputs[0]);
    return true;
  },
};

// transpose(transpose(x, p), q) = transpose(x, p∘q)
const transposeChain: Rule = {
  name: 'transpose-chain',
  law: 'transpose(transpose(x, p), q) = transpose(x, [p[q[i]]])',
  apply(n, rw) {
    if (n.op !== 'transpose') return false;
    const inner = producer(n.inputs[0]);
    if (inner?.op !== 'transpose') return false;
    const p = (inner as Node<'transpose'>).attrs.perm;
    const q = (n as Node<'transpose'>).attrs.perm;
    (n as Node<'transpose'>).attrs = { perm: q.map((i) => p[i]) };
    rw.setInput(n, 0, inner.inputs[0]);
    return true;
  },
};

/** The permutation with its last two entries exchanged. */
function swapLast(perm: readonly number[]): number[] {
  const r = perm.length;
  return perm.map((p, i) => (i === r - 2 ? perm[r - 1] : i === r - 1 ? perm[r - 2] : p));
}

/** A transpose that moves the last axis to second-to-last: the rest of it keeps rows contiguous. */
function endsInSwap(perm: readonly number[]): boolean {
  const r = perm.length;
  return r >= 2 && perm[r - 2] === r - 1;
}

// matmul(transpose(a, p), b) = matmul(transpose(a, swap(p)), b) {transA = !transA} when p puts the last axis
// second-to-last (swap(p) exchanges p's last two entries; for p the plain swap that leaves a); likewise for b
const transposeIntoMatmul: Rule = {
  name: 'transpose-into-matmul',
  law: 'matmul(transpose(a, p), b) = matmul(transpose(a, swap(p)), b) {transA = !transA} (p[r-2] = r-1); likewise b, transB',
  apply(n, rw) {
    if (n.op !== 'matmul') return false;
    const m = n as Node<'matmul'>;
    for (const [slot, flag] of [[0, 'transA'], [1, 'transB']] as const) {
      const t = producer(m.inputs[slot]);
      if (t?.op !== 'transpose' || !endsInSwap((t as Node<'transpose'>).attrs.perm)) continue;
      const rest = swapLast((t as Node<'transpose'>).attrs.perm);
      rw.setInput(m, slot, rest.every((p, i) => p === i) ? t.inputs[0] : rw.insertBefore(n, 'transpose', [t.inputs[0]], { perm: rest })[0]);
      m.attrs = { ...m.attrs, [flag]: !m.attrs[flag] };
      return true;
    }
    return false;
  },
};

// x / c = x * (1 / c) for a scalar f32 constant c (finite, non-zero): scales then look alike to the fusions
const divByConstant: Rule = {
  name: 'div-by-constant',
  law: 'x / c = x * (1 / c)  (c a finite non-zero f32 scalar constant)',
  apply(n, rw) {
    if (n.op !== 'div' || n.outputs[0].type.dtype !== 'f32') return false;
    const c = scalarOf(n.inputs[1]);
    if (c === undefined || c === 0 || !Number.isFinite(c) || !shapesEqual(n.inputs[0].type.shape, n.outputs[0].type.shape)) return false;
    const value = tensor('f32', []);
    value.data[0] = 1 / c;
    const [k] = rw.insertBefore(n, 'constant', [], { value });
    const [y] = rw.insertBefore(n, 'mul', [n.inputs[0], k], {});
    rw.replace(n.outputs[0], y);
    return true;
  },
};

// matmul(x * c, y) = matmul(x, y) * c and matmul(x, y * c) = matmul(x, y) * c for a scalar constant c
// (the scale of attention written on q, as exporters do, moves onto the scores: softmax(q kᵀ * c + m))
const scaleOutOfMatmul: Rule = {
  name: 'scale-out-of-matmul',
  law: 'matmul(x * c, y) = matmul(x, y) * c; matmul(x, y * c) = matmul(x, y) * c  (c a scalar constant)',
  apply(n, rw) {
    if (n.op !== 'matmul' || n.outputs[0].type.dtype !== 'f32') return false;
    const m = n as Node<'matmul'>;
    for (const slot of [0, 1] as const) {
      const mul = rw.singleUse(m.inputs[slot], 'mul');
      if (!mul || scalarOf(mul.inputs[1]) === undefined || !shapesEqual(mul.inputs[0].type.shape, mul.outputs[0].type.shape)) continue;
      const inputs = [...m.inputs];
      inputs[slot] = mul.inputs[0];
      const [prod] = rw.insertBefore(n, 'matmul', inputs, m.attrs);
      const [y] = rw.insertBefore(n, 'mul', [prod, mul.inputs[1]], {});
      rw.replace(n.outputs[0], y);
      return true;
    }
    return false;
  },
};

export const CANONICALIZE_RULES: readonly Rule[] = [
  constantsRight, identity, castNoop, reshapeNoop, expandNoop, expandIntoBroadcast, transposeNoop, transposeAsReshape, reshapeChain, transposeChain, transposeIntoMatmul,
  divByConstant, scaleOutOfMatmul, notOfComparison, causalFillSoftmax,
];
