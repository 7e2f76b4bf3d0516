// The compile trace the graph viewer draws (the playground and `smelt inspect --format html`): the
// graph as built and after every pass, each node with its op, attributes, types, the pass that
// made it, its layer, and FLOPs and bytes at a chosen size; then the kernel plan with its memory
// plan. Plain JSON data, so it can be embedded in a page. Node ids are stable across steps (a node
// a pass leaves alone keeps its id), which is what the before/after view of a pass compares.

import {
  type Graph, type Node, type SymbolEnv, type Value, ValueNamer, formatAttr, formatType, hasTrait, printGraph, printNode, OPS,
} from '@smelt/ir';
import type { AttrSpec } from '@smelt/ir';
import { type CompileResult } from './compile.ts';
import { type PassRecord, type PipelineOptions, type Provenance, optimize } from './pipeline.ts';
import type { Kernel, KernelPlan } from './plan/kernel-plan.ts';
import { lowerToPlan } from './plan/lower.ts';
import { type ArenaOptions, arenaLayout, bufferBytes, naiveBytes } from './plan/memory.ts';
import { kernelBytes, kernelFlops } from './plan/stats.ts';

/** One operand or result: its name in this step's IR text (%3, %src) and its type. */
export interface TraceValue {
  readonly ref: string;
  readonly type: string;
  /** The producing node's id, or undefined for graph inputs and weights. */
  readonly node?: number;
}

export interface TraceNode {
  /** Stable across steps: the same node keeps its id while passes leave it in the graph. */
  readonly id: number;
  readonly op: string;
  /** Attribute name → its IR text form. */
  readonly attrs: Record<string, string>;
  readonly inputs: readonly TraceValue[];
  readonly outputs: readonly TraceValue[];
  /** The pass that added the node, or "built" for the graph as the DSL (or the parser) made it. */
  readonly madeBy: string;
  /** The pipeline step of `madeBy` (0 for built). */
  readonly madeAt: number;
  /** A fusion's result (trait `fused`): drawn as a group. */
  readonly fused: boolean;
  /** The layer it belongs to ("encoder.layers.0"), from the weights it or its operands read; for collapsing. */
  readonly layer?: string;
  /** Analytic FLOPs and bytes its kernels move at the trace's sizes; absent when the step does not lower. */
  readonly flops?: number;
  readonly bytes?: number;
  /** The DSL call site that built it, when known. */
  readonly loc?: string;
  /** Its line of IR text. */
  readonly line: string;
}

export interface TraceStep {
  readonly step: number;
  readonly phase: string;
  readonly pass: string;
  readonly changed: boolean;
  readonly ms: number;
  /** The IR text, each node line followed by a `// made by PASS` comment where a pass made it. */
  readonly text: string;
  readonly inputs: readonly TraceValue[];
  readonly params: number;
  readonly nodes: readonly TraceNode[];
  readonly outputs: readonly { readonly name: string; readonly value: TraceValue }[];
}

export interface TraceKernel {
  readonly index: number;
  readonly kind: string;
  readonly label: string;
  /** The id of the node (in the last step) it was lowered from. */
  readonly node?: number;
  readonly flops: number;
  readonly bytes: number;
}

export interface TraceSlot {
  readonly id: number;
  readonly offset: number;
  readonly bytes: number;
  /** The buffers sharing the slot: their bytes and [first kernel that writes, last kernel that reads]. */
  readonly buffers: readonly { readonly id: number; readonly bytes: number; readonly first: number; readonly last: number }[];
}

export interface CompileTrace {
  readonly graph: string;
  /** The symbol values FLOPs, bytes and the memory picture are computed at. */
  readonly env: Record<string, number>;
  readonly steps: readonly TraceStep[];
  readonly kernels: readonly TraceKernel[];
  readonly prologue: number;
  readonly memory: { readonly slots: readonly TraceSlot[]; readonly peakBytes: number; readonly naiveBytes: number };
  readonly compileMs: number;
}

/** `encoder.layers.3.self_attn.in_proj_weight` → `encoder.layers.3`; names without a numbered layer → undefined. */
export function layerOf(weight: string): string | undefined {
  const m = /^(.*?(?:^|\.)(?:layers|layer|blocks|block|h)\.\d+)(?:\.|$)/.exec(weight);
  return m?.[1];
}

class Snapshotter {
  private readonly ids = new WeakMap<Node, number>();
  private next = 0;

  constructor(private readonly envOf: (symbols: readonly string[]) => SymbolEnv) {}

  id(n: Node): number {
    let id = this.ids.get(n);
    if (id === undefined) this.ids.set(n, (id = this.next++));
    return id;
  }

  take(g: Graph, record: Omit<PassRecord, 'nodes'>, provenance: Provenance): TraceStep {
    const namer = new ValueNamer();
    const value = (v: Value): TraceValue => {
      const ref = namer.name(v);
      return v.def.kind === 'node' ? { ref, type: formatType(v.type), node: this.id(v.def.node) } : { ref, type: formatType(v.type) };
    };
    const inputs = g.inputs.map(value);
    g.params.forEach((v) => namer.name(v));
    const cost = this.costs(g);
    const layers = new Map<Node, { at: number; layer: string | undefined }>();
    const nodes = g.nodes.map((n): TraceNode => {
      const line = printNode(n, namer);
      const made = provenance.get(n);
      const layer = nodeLayer(n, layers);
      const c = cost?.get(n);
      const specs = OPS[n.op].attrs as Record<string, AttrSpec>;
      const attrs = Object.fromEntries(Object.entries(specs).map(([k, spec]) => [k, formatAttr(spec, (n.attrs as Record<string, unknown>)[k])]));
      return {
        id: this.id(n), op: n.op, attrs, inputs: n.inputs.map(value), outputs: n.outputs.map(value),
        madeBy: made?.pass ?? 'built', madeAt: made?.step ?? 0, fused: hasTrait(n.op, 'fused'),
        ...(layer === undefined ? {} : { layer }), ...(c ?? {}), ...(n.loc === undefined ? {} : { loc: n.loc }), line,
      };
    });
    const outputs = g.outputs.map((o) => ({ name: o.name, value: value(o.value) }));
    return { ...record, text: printWithProvenance(g, provenance), inputs, params: g.params.length, nodes, outputs };
  }

  /** FLOPs and bytes per node: lower this step's graph and add up each node's kernels; undefined if it does not lower. */
  private costs(g: Graph): Map<Node, { flops: number; bytes: number }> | undefined {
    const origins = new Map<Kernel, Node>();
    let plan: KernelPlan;
    try {
      plan = lowerToPlan(g, {}, origins);
    } catch {
      return undefined;
    }
    const env = this.envOf(plan.symbols);
    const out = new Map<Node, { flops: number; bytes: number }>();
    for (const k of [...plan.prologue, ...plan.kernels]) {
      const n = origins.get(k)!;
      const c = out.get(n) ?? { flops: 0, bytes: 0 };
      out.set(n, { flops: c.flops + kernelFlops(plan, k, env), bytes: c.bytes + kernelBytes(plan, k, env) });
    }
    return out;
  }
}

/**
 * A node's layer: that of a weight it reads (a node reading only weights outside numbered layers,
 * such as a final projection, has none), else that of its latest-defined operand.
 */
function nodeLayer(n: Node, layers: Map<Node, { at: number; layer: string | undefined }>): string | undefined {
  const params = n.inputs.filter((v) => v.def.kind === 'param');
  let layer: string | undefined;
  if (params.length) {
    for (const v of params) layer ??= layerOf(v.name!);
  } else {
    let latest = -1;
    for (const v of n.inputs) {
      const from = v.def.kind === 'node' ? layers.get(v.def.node) : undefined;
      if (from && from.at > latest) [latest, layer] = [from.at, from.layer];
    }
  }
  layers.set(n, { at: layers.size, layer });
  return layer;
}

/** The whole pipeline on a copy of `input` (as compileGraph), with a snapshot of the graph before and after every pass. */
export function compileWithTrace(
  input: Graph, options: PipelineOptions & { arena?: ArenaOptions } = {}, envOf: (symbols: readonly string[]) => SymbolEnv = defaultEnv,
): { result: CompileResult; trace: CompileTrace } {
  const t0 = performance.now();
  const snap = new Snapshotter(envOf);
  const steps: TraceStep[] = [];
  const { graph, log, provenance } = optimize(input, {
    ...options,
    onStep: (record, g, prov) => {
      steps.push(snap.take(g, record, prov));
      options.onStep?.(record, g, prov);
    },
  });
  const origins = new Map<Kernel, Node>();
  const plan = lowerToPlan(graph, options.arena, origins);
  const ms = performance.now() - t0;
  const env = envOf(plan.symbols);
  const layout = arenaLayout(plan, env);
  const kernels = plan.kernels.map((k, index): TraceKernel => {
    const n = origins.get(k);
    return { index, kind: k.kind, label: k.label, ...(n ? { node: snap.id(n) } : {}), flops: kernelFlops(plan, k, env), bytes: kernelBytes(plan, k, env) };
  });
  const slots = plan.arena.slots.map((s): TraceSlot => ({
    id: s.id, offset: s.buffers.length ? layout.offsets.get(s.buffers[0]) ?? 0 : 0,
    bytes: Math.max(0, ...s.buffers.map((b) => bufferBytes(plan.buffers[b], env))),
    buffers: s.buffers.map((b) => {
      const [first, last] = plan.arena.lifetimes.get(b) ?? [0, 0];
      return { id: b, bytes: bufferBytes(plan.buffers[b], env), first, last };
    }),
  }));
  const trace: CompileTrace = {
    graph: input.name, env: Object.fromEntries(env), steps, kernels, prologue: plan.prologue.length,
    memory: { slots, peakBytes: layout.size, naiveBytes: naiveBytes(plan, env) }, compileMs: ms,
  };
  return { result: { graph, plan, log, ms, provenance }, trace };
}

/** The IR text with `// made by PASS` after each line of a node a pass made (comments: it still parses). */
export function printWithProvenance(g: Graph, provenance: Provenance): string {
  const lines = printGraph(g).split('\n');
  const first = 1 + g.inputs.length + g.params.length;
  g.nodes.forEach((n, i) => {
    const made = provenance.get(n);
    if (made) lines[first + i] += `  // made by ${made.pass}`;
  });
  return lines.join('\n');
}

/** Default sizes: batch 1, every other symbol 16. */
export function defaultEnv(symbols: readonly string[]): SymbolEnv {
  return new Map(symbols.map((s) => [s, s === 'batch' ? 1 : 16] as [string, number]));
}
