// The compiler's own speed (issue 3): how long smelt takes from model source to kernel plan for a
// workload: build the graph with the DSL, run the optimization pipeline (every pass, with its
// verifier), plan memory and lower to the kernel plan. Measured in the bench's own process (no
// backend, no weights): one warm-up, then the median of a few runs.

import { compileGraph } from '@smelt/compiler';
import { summarize, type Summary } from '../report/stats.ts';
import { buildPartGraph } from '../workloads/graphs.ts';
import { type WorkloadDef, workloadParts } from '../workloads/defs.ts';

export interface PipelineTime {
  /** ms of build + optimize + lower over all the workload's parts. */
  readonly summary: Summary;
  /** Kernels in the plans (all parts). */
  readonly kernels: number;
}

export function timePipeline(def: WorkloadDef, runs = 7): PipelineTime {
  const once = () => {
    const t0 = performance.now();
    let kernels = 0;
    for (const part of workloadParts(def.shape)) kernels += compileGraph(buildPartGraph(part)).plan.kernels.length;
    return { ms: performance.now() - t0, kernels };
  };
  const { kernels } = once();
  const times = Array.from({ length: runs }, () => once().ms);
  return { summary: summarize(times), kernels };
}
