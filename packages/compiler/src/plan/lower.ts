// Lowering: an optimized graph becomes a kernel plan. Each node maps to one kernel (a split to one
// slice per piece), reshapes become views, constants stay constants, and nodes that read only
// weights and constants move to the prologue that runs once at load. Elementwise nodes lower
// through the expression their op says it computes, row ops (softmax, norms) through their row
// program; every other kind has a case in a switch that ends in `satisfies never`, with its
// attributes typed by the kind.

import {
  type DType, type Dim, type Graph, type Node, type OpNode, type TensorType, type Value, allocArray, attentionLayout, dependsOnSymbols, dimAdd, dimTerms, isExprNode,
  isRowNode, isSymbol,
  normAxis, opDef, opNode, parseExpr,
} from '@smelt/ir';
import { nodeExpr, operandExprs } from '../elementwise-expr.ts';
import type { ComputedDim, Kernel, KernelPlan, PlanBuffer } from './kernel-plan.ts';
import { inputContract } from './input-contract.ts';
import { planArena, type ArenaOptions } from './memory.ts';

export class LoweringError extends Error {
  override name = 'LoweringError';
}

type Emit = (k: Kernel) => void;

/** A node that becomes kernels: every kind but the two that become buffers (constant, reshape). */
type KernelNode = Exclude<OpNode, { op: 'constant' | 'reshape' }>;

class Lowerer {
  readonly buffers: PlanBuffer[] = [];
  readonly ids = new Map<Value, number>();
  readonly prologue: Kernel[] = [];
  readonly kernels: Kernel[] = [];

  constructor(private readonly origins?: Map<Kernel, Node>) {}

  buffer(v: Value, storage: PlanBuffer['storage']): number {
    const id = this.anonymous(v.type.dtype, v.type.shape, storage);
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

  lowerNode(n: OpNode): void {
    if (n.op === 'constant') {
      this.buffer(n.outputs[0], { kind: 'constant', value: n.attrs.value });
      return;
    }
    if (n.op === 'reshape') {
      this.buffer(n.outputs[0], { kind: 'alias', of: this.id(n.inputs[0]) });
      return;
    }
    const ins = n.inputs.map((v) => this.id(v));
    const early = !dependsOnSymbols(n.op, n.attrs, n.outputs.map((v) => v.type)) && ins.every((i) => this.loadTime(i));
    const storage = (): PlanBuffer['storage'] => (early ? { kind: 'derived' } : { kind: 'arena', slot: -1 });
    const to = early ? this.prologue : this.kernels;
    const emit: Emit = (k) => { to.push(k); this.origins?.set(k, n); };
    const outs = n.outputs.map((v) => this.buffer(v, storage()));
    if (isRowNode(n) && ins.length === 1 && outs.length === 1) {
      const t = n.outputs[0].type;
      const axis = opDef(n.op).rowAxis!(n.attrs, t.shape.length);
      if (axis !== t.shape.length - 1) {
        this.rowOverAxis(n, t, axis, ins[0], outs[0], storage, emit);
        return;
      }
    }
    lowerKernel(n, ins, outs, emit);
  }

  /** A buffer no graph value names (a view, a kernel result a value views, a moved-axis copy). */
  anonymous(dtype: PlanBuffer['dtype'], shape: readonly Dim[], storage: PlanBuffer['storage']): number {
    const id = this.buffers.length;
    this.buffers.push({ id, dtype, shape, storage });
    return id;
  }

  /**
   * A one-operand row op over axis a (softmax, log_softmax) = transpose(row op(transpose(x, a last)), back):
   * the row kernel works on the last axis.
   */
  private rowOverAxis(n: OpNode, t: TensorType, axis: number, x: number, out: number, storage: () => PlanBuffer['storage'], emit: Emit): void {
    const rank = t.shape.length;
    const perm = [...Array(rank).keys()].filter((i) => i !== axis).concat(axis);
    const back = perm.map((_, i) => perm.indexOf(i));
    const shape = perm.map((p) => t.shape[p]);
    const [moved, rows] = [this.anonymous(t.dtype, shape, storage()), this.anonymous(t.dtype, shape, storage())];
    emit({ kind: 'transpose', label: `${n.op}: axis last`, x, out: moved, perm });
    emit({ kind: 'row', label: n.op, inputs: [moved], program: opDef(n.op).row!(n.attrs as never, 1), out: rows });
    emit({ kind: 'transpose', label: `${n.op}: axis back`, x: rows, out, perm: back });
  }
}

/** The start offsets of a split's pieces: known numbers, or one symbol after zeros. */
function splitStarts(sizes: readonly Dim[]): Dim[] {
  const starts: Dim[] = [];
  let at: Dim = 0;
  for (const s of sizes) {
    starts.push(at);
    at = dimAdd(at, s);
  }
  return starts;
}

function lowerKernel(n: KernelNode, ins: number[], outs: number[], emit: Emit): void {
  const out = outs[0];
  if (isExprNode(n)) {
    const label = n.op === 'fused_elementwise' ? `fused_elementwise: ${n.attrs.expr}` : n.op;
    emit({ kind: 'elementwise', label, out, inputs: ins, expr: nodeExpr(n, operandExprs(ins.length)) });
    return;
  }
  const label = n.op;
  const rank = n.inputs[0]?.type.shape.length ?? 0;
  if (isRowNode(n)) {
    const def = opDef(n.op);
    const axis = def.rowAxis!(n.attrs, rank);
    if (axis !== rank - 1) throw new LoweringError(`${n.op} over axis ${axis} of rank ${rank}: only the last axis is lowered`);
    const program = def.row!(n.attrs, ins.length);
    return emit({ kind: 'row', label, inputs: ins, program, out, ...(program.writesValue ? { value: outs[1] } : {}) });
  }
  switch (n.op) {
    case 'matmul':
      return emit({ kind: 'matmul', label, a: ins[0], b: ins[1], out, transA: n.attrs.transA, transB: n.attrs.transB, epilogue: operandExprs(1)[0], extras: [] });
    case 'linear':
      return emit({
        kind: 'matmul', label: `linear: ${n.attrs.epilogue}`, a: ins[0], b: ins[1], out, transA: false, transB: n.attrs.transB,
        epilogue: parseExpr(n.attrs.epilogue), extras: ins.slice(2),
      });
    case 'conv1d':
      return emit({ kind: 'conv1d', label, x: ins[0], w: ins[1], bias: ins[2], out, ...n.attrs });
    case 'attention':
      return emit({ kind: 'attention', label, q: ins[0], k: ins[1], v: ins[2], mask: ins[3], out, scale: n.attrs.scale, causal: n.attrs.causal, layout: attentionLayout(n.attrs) });
    case 'reduce_sum': case 'reduce_mean': case 'reduce_max': case 'reduce_min': {
      const axes = n.attrs.axes.map((x) => normAxis(x, rank)).sort((p, q) => p - q);
      return emit({ kind: 'reduce', label, op: REDUCE_OPS[n.op], x: ins[0], out, axes });
    }
    case 'argmax':
      return emit({ kind: 'reduce', label, op: 'argmax', x: ins[0], out, axes: [normAxis(n.attrs.axis, rank)] });
    case 'rope':
      return emit({ kind: 'rope', label, x: ins[0], cos: ins[1], sin: ins[2], out, interleaved: n.attrs.interleaved });
    case 'cumsum':
      return emit({ kind: 'cumsum', label, x: ins[0], out, axis: normAxis(n.attrs.axis, rank), exclusive: n.attrs.exclusive, reverse: n.attrs.reverse });
    case 'topk':
      return emit({ kind: 'topk', label, x: ins[0], out, indices: outs[1], axis: normAxis(n.attrs.axis, rank), largest: n.attrs.largest });
    case 'transpose':
      return emit({ kind: 'transpose', label, x: ins[0], out, perm: n.attrs.perm });
    case 'slice':
      return emit({ kind: 'slice', label, x: ins[0], out, axis: normAxis(n.attrs.axis, rank), start: n.attrs.start });
    case 'dynamic_slice':
      return emit({ kind: 'dynamic_slice', label, x: ins[0], start: ins[1], out, axis: normAxis(n.attrs.axis, rank) });
    case 'split': {
      const starts = splitStarts(n.attrs.sizes);
      const axis = normAxis(n.attrs.axis, rank);
      outs.forEach((o, i) => emit({ kind: 'slice', label: `split[${i}]`, x: ins[0], out: o, axis, start: starts[i] }));
      return;
    }
    case 'concat':
      return emit({ kind: 'concat', label, inputs: ins, out, axis: normAxis(n.attrs.axis, rank) });
    case 'expand':
      return emit({ kind: 'elementwise', label, out, inputs: ins, expr: operandExprs(1)[0] });
    case 'pad':
      return emit({ kind: 'pad', label, x: ins[0], out, before: n.attrs.before, value: storedValue(n.outputs[0].type.dtype, n.attrs.value) });
    case 'gather':
      return emit({ kind: 'gather', label, table: ins[0], indices: ins[1], out, axis: normAxis(n.attrs.axis, rank) });
    case 'iota':
      return emit({ kind: 'iota', label, out, axis: normAxis(n.attrs.axis, n.attrs.shape.length) });
    default:
      return n satisfies never;
  }
}

/** `v` as an element of `dtype` stores it (bool: nonzero is 1; integers truncate or wrap). */
function storedValue(dtype: DType, v: number): number {
  const one = allocArray(dtype, 1) as Float32Array;
  one[0] = dtype === 'bool' ? +(v !== 0) : v;
  return one[0];
}

const REDUCE_OPS = { reduce_sum: 'sum', reduce_mean: 'mean', reduce_max: 'max', reduce_min: 'min' } as const;

/** Symbols bound by the inputs' plain dims, in order of first appearance. */
function boundSymbols(g: Graph): string[] {
  const s = new Set<string>();
  for (const v of g.inputs) for (const d of v.type.shape) if (isSymbol(d)) s.add(d);
  return [...s];
}

/**
 * Every computed dim (`past + 1`) the plan's buffers and kernels use, with its terms over the
 * bound symbols, so a host evaluates it from plain data; a symbol no input binds is an error.
 */
function computedDims(plan: Pick<KernelPlan, 'name' | 'buffers' | 'kernels' | 'prologue'>, bound: readonly string[]): ComputedDim[] {
  const dims = new Set<string>();
  const note = (d: Dim) => { if (typeof d === 'string' && !isSymbol(d)) dims.add(d); };
  for (const b of plan.buffers) b.shape.forEach(note);
  for (const k of [...plan.prologue, ...plan.kernels]) if (k.kind === 'slice') note(k.start);
  return [...dims].map((dim) => {
    try {
      return { dim, terms: dimTerms(dim, bound) };
    } catch (e) {
      throw new LoweringError(`${JSON.stringify(plan.name)}: ${(e as Error).message} (a computed dim's symbols must each be a whole dim of some input)`);
    }
  });
}

/**
 * Lower an optimized graph to a kernel plan with its arena planned. `origins`, when given, receives
 * the node each kernel (of the prologue or the forward pass) was lowered from.
 */
export function lowerToPlan(g: Graph, arena: ArenaOptions = {}, origins?: Map<Kernel, Node>): KernelPlan {
  const lw = new Lowerer(origins);
  const inputs = g.inputs.map((v) => ({ name: v.name!, buffer: lw.buffer(v, { kind: 'input', name: v.name! }) }));
  for (const v of g.params) lw.buffer(v, { kind: 'weight', name: v.name! });
  for (const n of g.nodes) lw.lowerNode(opNode(n));
  const outputs = g.outputs.map((o) => ({ name: o.name, buffer: lw.id(o.value) }));
  const bound = boundSymbols(g);
  const body = { name: g.name, buffers: lw.buffers, prologue: lw.prologue, kernels: lw.kernels };
  const computed = computedDims(body, bound);
  const base = { ...body, symbols: [...bound, ...computed.map((c) => c.dim)], computed, contract: inputContract(g), inputs, outputs };
  return { ...base, arena: planArena(base, arena) };
}
