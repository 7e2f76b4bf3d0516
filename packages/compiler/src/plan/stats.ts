// Graph and plan statistics for `smelt inspect`: op counts, fusions by pattern, kernels, an
// analytic FLOP count, bytes moved by the kernels, and peak arena bytes against the naive sum.

import { type Expr, type Graph, OP_KINDS, type SymbolEnv, hasTrait, numel, opCounts, resolveShape } from '@smelt/ir';
import { attentionAccess } from './attention-access.ts';
import type { Kernel, KernelPlan } from './kernel-plan.ts';
import { arenaLayout, bufferBytes, kernelReads, kernelWrites, naiveBytes } from './memory.ts';

/** The ops fusions produce (trait `fused`). */
export const FUSED_OPS = OP_KINDS.filter((k) => hasTrait(k, 'fused'));

export interface GraphStats {
  readonly ops: Record<string, number>;
  readonly kernels: number;
  readonly fusions: Record<string, number>;
  readonly flops: number;
  readonly bytesMoved: number;
  readonly peakBytes: number;
  readonly naiveBytes: number;
}

function exprOps(e: Expr): number {
  return e.k === 'op' ? 1 + e.args.reduce((s, a) => s + exprOps(a), 0) : 0;
}

function shapeOf(plan: KernelPlan, id: number, env: SymbolEnv): number[] {
  return resolveShape(plan.buffers[id].shape, env);
}

/** Floating-point operations of one kernel, counted analytically (a multiply-add is 2). */
export function kernelFlops(plan: KernelPlan, k: Kernel, env: SymbolEnv): number {
  const outElems = numel(shapeOf(plan, k.out, env));
  switch (k.kind) {
    case 'matmul': {
      const a = shapeOf(plan, k.a, env);
      const depth = k.transA ? a[a.length - 2] : a[a.length - 1];
      return outElems * (2 * depth + exprOps(k.epilogue));
    }
    case 'attention': {
      const a = attentionAccess(k, (id) => plan.buffers[id].shape);
      const [lq, keys, depth, dv] = resolveShape([a.lq, a.lk, a.depth, a.dv], env);
      return numel(resolveShape(a.batch, env)) * lq * keys * (2 * depth + 2 * dv + 5);
    }
    case 'elementwise': return outElems * exprOps(k.expr);
    case 'row': {
      const p = k.program;
      const steps = p.steps.reduce((s, st) => s + (st.kind === 'reduce' ? exprOps(st.term) + 1 : 0), 0);
      return outElems * (exprOps(p.value) + steps + exprOps(p.output));
    }
    case 'reduce': return numel(shapeOf(plan, k.x, env));
    case 'rope': return outElems * 3; // per rotated pair: 4 multiplies and 2 adds
    case 'cumsum': return outElems;
    case 'conv1d': {
      const w = shapeOf(plan, k.w, env);
      return outElems * 2 * w[1] * w[2];
    }
    case 'topk': return outElems * shapeOf(plan, k.x, env)[k.axis]; // one pass over the line per kept element
    case 'transpose': case 'slice': case 'dynamic_slice': case 'concat': case 'gather': case 'iota': case 'pad': return 0; // data movement
    default: return k satisfies never;
  }
}

export function kernelBytes(plan: KernelPlan, k: Kernel, env: SymbolEnv): number {
  const ids = new Set([...kernelReads(k), ...kernelWrites(k)]);
  let bytes = 0;
  for (const id of ids) bytes += bufferBytes(plan.buffers[id], env);
  return bytes;
}

/** Statistics of an optimized graph and its plan at the given symbol values. */
export function planStats(graph: Graph, plan: KernelPlan, env: SymbolEnv): GraphStats {
  const ops = opCounts(graph);
  const fusions = Object.fromEntries(FUSED_OPS.map((f) => [f, ops[f] ?? 0]));
  let flops = 0;
  let bytesMoved = 0;
  for (const k of plan.kernels) {
    flops += kernelFlops(plan, k, env);
    bytesMoved += kernelBytes(plan, k, env);
  }
  return {
    ops, kernels: plan.kernels.length, fusions, flops, bytesMoved,
    peakBytes: arenaLayout(plan, env).size, naiveBytes: naiveBytes(plan, env),
  };
}
