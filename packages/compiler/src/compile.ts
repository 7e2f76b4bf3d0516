// One call from a DSL graph to what backends need: the optimized graph, its kernel plan and the
// pass log.

import type { Graph } from '@smelt/ir';
import { optimize, type PassRecord, type PipelineOptions, type Provenance } from './pipeline.ts';
import type { KernelPlan } from './plan/kernel-plan.ts';
import { lowerToPlan } from './plan/lower.ts';
import type { ArenaOptions } from './plan/memory.ts';

export interface CompileResult {
  readonly graph: Graph;
  readonly plan: KernelPlan;
  readonly log: readonly PassRecord[];
  /** Which pass made each node of `graph` (nodes built by the DSL are absent). */
  readonly provenance: Provenance;
  readonly ms: number;
}

export function compileGraph(input: Graph, options: PipelineOptions & { arena?: ArenaOptions } = {}): CompileResult {
  const t0 = performance.now();
  const { graph, log, provenance } = optimize(input, options);
  const plan = lowerToPlan(graph, options.arena);
  return { graph, plan, log, provenance, ms: performance.now() - t0 };
}
