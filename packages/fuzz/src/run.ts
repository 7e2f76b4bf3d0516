// A fuzz run: N graphs from one seed on the chosen targets; each graph's mismatches are shrunk and
// kept as regression cases (shrink.ts, case-file.ts). The CLI (cli.ts) and the bounded test both
// call fuzz().

import { checkCase, describeMismatch, type Mismatch } from './differential.ts';
import { generateCase } from './generate.ts';
import type { Target } from './targets.ts';

export interface FuzzOptions {
  readonly graphs: number;
  readonly seed: number;
  /** The index of the first graph (default 0): a run split into shards runs graphs [from, from + graphs). */
  readonly from?: number;
  readonly targets: readonly Target[];
  /** Called with each graph's mismatches (after shrinking, when `onMismatch` shrinks). */
  readonly onMismatch?: (graph: number, caseSeed: number, found: readonly Mismatch[]) => Promise<void> | void;
  readonly onProgress?: (done: number) => void;
}

export interface FuzzReport {
  readonly graphs: number;
  /** Graphs with at least one mismatch. */
  readonly mismatches: number;
}

/** The seed of graph i of a run: the run seed and i mixed, so one graph is reproducible alone. */
export function caseSeed(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  let mismatches = 0;
  const from = options.from ?? 0;
  for (let i = from; i < from + options.graphs; i++) {
    const s = caseSeed(options.seed, i);
    let found: Mismatch[];
    try {
      found = await checkCase(generateCase(s), options.targets);
    } catch (e) {
      found = [{ target: 'reference', optimize: false, kind: 'error', message: `the interpreter failed on a generated graph: ${(e as Error).message}` }];
    }
    if (found.length) {
      mismatches++;
      await options.onMismatch?.(i, s, found);
    }
    options.onProgress?.(i + 1 - from);
  }
  return { graphs: options.graphs, mismatches };
}

export { describeMismatch };
