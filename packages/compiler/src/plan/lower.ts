// Lowering: an optimized graph becomes a kernel plan. Each node maps to one kernel (a split to one
// slice per piece), reshapes become views, constants stay constants, and nodes that read only
// weights and constants move to the prologue that runs once at load.

import {
  type Dim, type Graph, type Node, type Tensor, type Value, formatDims, hasTrait, normAxis,
} from '@smelt/ir';
import { nodeExpr, operandExprs } from '../elementwise-expr.ts';
import type { Kernel, KernelPlan, PlanBuffer } from './kernel-plan.ts';
import { inputContract } from './input-contract.ts';
import { planArena, type ArenaOptions } from './memory.ts';

export class LoweringError extends Error {
  override name = 'LoweringError';
}

type Emit = (k: Kernel) => void;

class Lowerer {
  readonly buffers: PlanBuffer[] = [];
  readonly ids = new Map<Value, number>();
  readonly prologue: Kernel[] = [];
  readonly kernels: Kernel[] = [];

  buffer(v: Value, storage: PlanBuffer['storage']): number {
    const id = this.buffers.length;
    this.buffers.push({ id, dtype: v.type.dtype, shape: v.type.shape, storage });
    this.ids.set(v, id);
    return id;
  }

  id(v: Value): number {
    const id = this.ids.get(v);
    if (id === undefined) throw new LoweringError('value used before it is lowered');
    return id;
  }

  /** True when a buffer holds data known at load time. */
  loadTime(id: number): boolean {
    const s = this.buffers[id].storage;
    if (s.kind === 'alias') return this.loadTime(s.of);
    return s.kind === 'weight' || s.kind === 'constant' || s.kind === 'derived';
  }

  lowerNode(n: Node): void {
    if (n.op === 'constant') {
      this.buffer(n.outputs[0], { kind: 'constant', value: (n as Node<'constant'>).attrs.value as Tensor });
      return;
    }
    if (n.op === 'reshape') {
      this.buffer(n.outputs[0], { kind: 'alias', of: this.id(n.inputs[0]) });
      return;
    }
    const ins = n.inputs.map((v) => this.id(v));
    const concrete = n.outputs.every((v) => v.type.shape.every((d) => typeof d === 'number'));
    const early = concrete && ins.every((i) => this.loadTime(i));
    const outs = n.outputs.map((v) => this.buffer(v, early ? { kind: 'derived' } : { kind: 'arena', slot: -1 }));
    lowerKernel(n, ins, outs, early ? (k) => this.prologue.push(k) : (k) => this.kernels.push(k));
  }
}

function label(n: Node): string {
  if (n.op === 'linear') {
    const a = n.attrs as { activation: string; hasBias: boolean; hasResidual: boolean };
    const parts = [a.hasBias ? 'bias' : '', a.activation !== 'none' ? a.activation : '', a.hasResidual ? 'residual' : ''].filter(Boolean);
    return `linear${parts.length ? `(${parts.join(', ')})` : ''}`;
  }
  if (n.op === 'fused_elementwise') return `fused_elementwise: ${(n.attrs as { expr: string }).expr}`;
  return n.op;
}

function linearEpilogue(n: Node<'linear'>, ins: number[]): Pick<Extract<Kernel, { kind: 'matmul' }>, 'epilogue' | 'extras'> {
  const { activation, hasBias, hasResidual } = n.attrs;
  let e = operandExprs(1)[0];
  const extras: number[] = [];
  if (hasBias) { extras.push(ins[2]); e = { k: 'op', op: 'add', args: [e, { k: 'in', i: extras.length }] }; }
  if (activation !== 'none') e = { k: 'op', op: activation === 'relu' ? 'relu' : activation, args: [e] };
  if (hasResidual) { extras.push(ins[ins.length - 1]); e = { k: 'op', op: 'add', args: [e, { k: 'in', i: extras.length }] }; }
  return { epilogue: e, extras };
}

/** The start offsets of a split's pieces: known numbers, or one symbol after zeros. */
function splitStarts(sizes: readonly Dim[]): Dim[] {
  const starts: Dim[] = [];
  let at: Dim = 0;
  for (const s of sizes) {
    starts.push(at);
    if (typeof at === 'number' && typeof s === 'number') at += s;
    else if (at === 0) at = s;
    else throw new LoweringError(`split sizes ${formatDims(sizes)}: a piece after a symbolic size needs a numeric offset`);
  }
  return starts;
}

function lowerKernel(n: Node, ins: number[], outs: number[], emit: Emit): void {
  const l = label(n);
  const out = outs[0];
  if (hasTrait(n.op, 'elementwise')) {
    emit({ kind: 'elementwise', label: l, out, inputs: ins, expr: nodeExpr(n, operandExprs(ins.length)) });
    return;
  }
  const a = n.attrs as Record<string, never>;
  const rank = n.inputs[0]?.type.shape.length ?? 0;
  switch (n.op) {
    case 'matmul':
      return emit({ kind: 'matmul', label: l, a: ins[0], b: ins[1], out, transA: a.transA, transB: a.transB, epilogue: operandExprs(1)[0], extras: [] });
    case 'linear':
      return emit({ kind: 'matmul', label: l, a: ins[0], b: ins[1], out, transA: false, transB: a.transB, ...linearEpilogue(n as Node<'linear'>, ins) });
    case 'attention':
      return emit({ kind: 'attention', label: l, q: ins[0], k: ins[1], v: ins[2], mask: ins[3], out, scale: a.scale, causal: a.causal });
    case 'scaled_masked_softmax':
      return emit({ kind: 'softmax', label: l, x: ins[0], mask: ins[1], out, scale: a.scale });
    case 'softmax':
      if (normAxis(a.axis, rank) !== rank - 1) throw new LoweringError(`softmax over axis ${a.axis} of rank ${rank}: only the last axis is lowered`);
      return emit({ kind: 'softmax', label: l, x: ins[0], out, scale: 1 });
    case 'layer_norm':
      return emit({ kind: 'layer_norm', label: l, x: ins[0], weight: ins[1], bias: ins[2], out, eps: a.eps });
    case 'add_layer_norm':
      return emit({ kind: 'layer_norm', label: l, x: ins[0], residual: ins[1], weight: ins[2], bias: ins[3], out, sum: outs[1], eps: a.eps });
    case 'reduce_sum': case 'reduce_mean': case 'reduce_max': {
      const axes = (a.axes as number[]).map((x) => normAxis(x, rank)).sort((p, q) => p - q);
      return emit({ kind: 'reduce', label: l, op: n.op.slice(7) as 'sum', x: ins[0], out, axes });
    }
    case 'argmax':
      return emit({ kind: 'reduce', label: l, op: 'argmax', x: ins[0], out, axes: [normAxis(a.axis, rank)] });
    case 'transpose':
      return emit({ kind: 'transpose', label: l, x: ins[0], out, perm: a.perm });
    case 'slice':
      return emit({ kind: 'slice', label: l, x: ins[0], out, axis: normAxis(a.axis, rank), start: a.start });
    case 'split': {
      const starts = splitStarts(a.sizes);
      outs.forEach((o, i) => emit({ kind: 'slice', label: `split[${i}]`, x: ins[0], out: o, axis: normAxis(a.axis, rank), start: starts[i] }));
      return;
    }
    case 'concat':
      return emit({ kind: 'concat', label: l, inputs: ins, out, axis: normAxis(a.axis, rank) });
    case 'gather':
      return emit({ kind: 'gather', label: l, table: ins[0], indices: ins[1], out, axis: normAxis(a.axis, rank) });
    case 'iota':
      return emit({ kind: 'iota', label: l, out, axis: normAxis(a.axis, (a.shape as Dim[]).length) });
    default:
      throw new LoweringError(`op ${n.op} has no kernel lowering`);
  }
}

function symbolsOf(g: Graph): string[] {
  const s = new Set<string>();
  for (const v of g.inputs) for (const d of v.type.shape) if (typeof d === 'string') s.add(d);
  return [...s];
}

/** Lower an optimized graph to a kernel plan with its arena planned. */
export function lowerToPlan(g: Graph, arena: ArenaOptions = {}): KernelPlan {
  const lw = new Lowerer();
  const inputs = g.inputs.map((v) => ({ name: v.name!, buffer: lw.buffer(v, { kind: 'input', name: v.name! }) }));
  for (const v of g.params) lw.buffer(v, { kind: 'weight', name: v.name! });
  for (const n of g.nodes) lw.lowerNode(n);
  const outputs = g.outputs.map((o) => ({ name: o.name, buffer: lw.id(o.value) }));
  const base = {
    name: g.name, symbols: symbolsOf(g), contract: inputContract(g), inputs, outputs, buffers: lw.buffers, prologue: lw.prologue, kernels: lw.kernels,
  };
  return { ...base, arena: planArena(base, arena) };
}
