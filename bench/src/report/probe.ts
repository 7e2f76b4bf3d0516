// How much of a core each engine had while it was timed: the machine probe's median GFLOP/s over
// the engine's timed runs (run/simd-probe.ts), in percent of the fastest probe anyone timed in the
// same workload. Near 100: the engine had its core to itself; 60–70: the core was shared with other
// tenants' work for those runs, and SIMD-bound figures drop by about as much.

import type { Row } from '../run/workload-bench.ts';
import { median } from './stats.ts';

/** The fastest probe timed in the workload (GFLOP/s), or undefined when no row kept probes (older files). */
export function probeBest(rows: readonly Row[]): number | undefined {
  const all = rows.flatMap((r) => r.probe ?? []);
  return all.length ? Math.max(...all) : undefined;
}

/** The row's median probe in percent of `best`. */
export function probePct(row: Row, best: number | undefined): number | undefined {
  return best && row.probe?.length ? (100 * median(row.probe)) / best : undefined;
}
