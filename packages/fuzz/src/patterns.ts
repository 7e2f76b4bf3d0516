// Generators of the subgraphs the fusions look for, written with the DSL as a model would be:
// softmax(x·c + m) (fuse-scale-softmax), layer_norm(x + r) (fuse-add-layer-norm),
// act(x@w + b) + r (fuse-matmul-epilogue), and attention softmax(q@kᵀ·c + mask)@v with a padding or
// causal mask (fuse-attention), its heads sometimes split and merged by transposes (fuse-head-layout). Drawn like op kinds (generate.ts), so graphs mix them with the rest.

import { type Var, headSwapPerm, layerNorm, nn, scalar, unary } from '@smelt/ir';
import type { GenContext } from './context.ts';
import { inexact, summable } from './facts.ts';
import type { OpGen } from './op-gens.ts';
import { dimMax } from './op-gens.ts';

const ACTS = ['relu', 'gelu', 'tanh', 'sigmoid', 'silu'] as const;

function act(x: Var, kind: (typeof ACTS)[number]): Var {
  switch (kind) {
    case 'relu': return x.relu();
    case 'gelu': return x.gelu();
    case 'tanh': return x.tanh();
    case 'sigmoid': return x.sigmoid();
    case 'silu': return unary('silu', x);
    default: return kind satisfies never;
  }
}

const scaleSoftmax: OpGen = (g) => {
  const x = g.operand(['f32'], (it) => it.v.rank >= 1 && summable(it.facts));
  const m = g.declare('f32', g.broadcastPartner(x.v.shape), 'mask');
  const c = g.rng.pick([0.125, 0.5, 0.3]);
  const y = g.tryBuild(() => x.v.mul(c).add(m.v).softmax(-1));
  return y !== undefined && !!g.add(y, inexact([x.facts], 1));
};

const addLayerNorm: OpGen = (g) => {
  const x = g.operand(['f32'], (it) => it.v.rank >= 1 && it.facts.mag <= 10 && !it.facts.special);
  const width = x.v.shape[x.v.rank - 1];
  if (typeof width !== 'number') return false;
  const r = g.operand(['f32'], (it) => it.facts.mag <= 10 && !it.facts.special, g.broadcastPartner(x.v.shape));
  const [w, b] = [g.declare('f32', [width], 'plain', true), g.declare('f32', [width], 'plain', true)];
  const y = g.tryBuild(() => layerNorm(x.v.add(r.v), w.v, b.v, 1e-5));
  return y !== undefined && !!g.add(y, inexact([x.facts], 2 * Math.sqrt(width) + 2));
};

const matmulEpilogue: OpGen = (g) => {
  const x = g.operand(['f32'], (it) => it.v.rank >= 2 && summable(it.facts));
  const k = x.v.shape[x.v.rank - 1];
  if (typeof k !== 'number') return false;
  const n = g.rng.int(1, 12);
  const transposed = g.rng.chance(0.5); // nn.Linear stores [out, in] and multiplies by its transpose
  const w = g.declare('f32', transposed ? [n, k] : [k, n], 'plain', true);
  const b = g.declare('f32', [n], 'plain', true);
  const r = g.rng.chance(0.6) ? g.operand(['f32'], (it) => summable(it.facts), g.broadcastPartner([...x.v.shape.slice(0, -1), n])) : undefined;
  const kind = g.rng.pick(ACTS);
  const y = g.tryBuild(() => {
    const h = act(x.v.matmul(transposed ? w.v.mT() : w.v).add(b.v), kind);
    return r ? h.add(r.v) : h;
  });
  return y !== undefined && !!g.add(y, inexact([x.facts], dimMax(k) * x.facts.mag * 2 + 2 + (r?.facts.mag ?? 0)));
};

const attention: OpGen = (g) => {
  const batch = g.shape(g.rng.int(1, 2));
  const [lq, d] = [g.dim(), g.rng.int(1, 8)];
  const causal = g.rng.chance(0.4);
  const lk = causal ? lq : g.dim();
  // A third of the time the heads come as a Transformer's projections give them, [..., L, H, d], split
  // out and merged back by transposes (fuse-head-layout folds them into attention's bshd layout).
  const split = g.rng.chance(0.33);
  const lead = batch.slice(0, -1), heads = batch[batch.length - 1];
  const [q, k, v] = [[lq, d], [lk, d], [lk, g.rng.int(1, 8)]].map(([l, depth]) =>
    g.operand(['f32'], (it) => summable(it.facts), split ? [...lead, l, heads, depth] : [...batch, l, depth]));
  const mask = causal ? undefined : g.rng.chance(0.7) ? g.declare('f32', [1, lk], 'mask') : undefined;
  const scale = 1 / Math.sqrt(d);
  const swap = headSwapPerm(batch.length + 2);
  const y = g.tryBuild(() => {
    const [qh, kh, vh] = [q, k, v].map((x) => (split ? x.v.transpose(swap) : x.v));
    let s = qh.matmul(kh.mT()).mul(scalar(g.b, scale));
    if (causal) s = s.add(nn.causalMask(g.b, lq));
    else if (mask) s = s.add(mask.v);
    const out = s.softmax(-1).matmul(vh);
    return split ? out.transpose(swap) : out;
  });
  return y !== undefined && !!g.add(y, inexact([q.facts, k.facts, v.facts], v.facts.mag));
};

/** The fusion patterns by name, drawn beside the op kinds. */
export const PATTERN_GENS = {
  'pattern:scale-softmax': scaleSoftmax,
  'pattern:add-layer-norm': addLayerNorm,
  'pattern:matmul-epilogue': matmulEpilogue,
  'pattern:attention': attention,
} as const satisfies Record<string, OpGen>;
