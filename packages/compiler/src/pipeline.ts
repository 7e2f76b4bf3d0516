// The optimization pipeline, top to bottom. Each phase lists named passes; every pass can be
// disabled by name, dumped after, and verified after. Read this file to know what smelt does to
// a graph and in which order.

import { type Graph, type Node, cloneGraph, printGraph, verifyGraph } from '@smelt/ir';
import { addLayerNorm } from './fusions/add-layer-norm.ts';
import { addRmsNorm } from './fusions/add-rms-norm.ts';
import { attentionFusion } from './fusions/attention.ts';
import { gatedLinear } from './fusions/gated-linear.ts';
import { groupedAttention } from './fusions/grouped-attention.ts';
import { headLayoutAttention } from './fusions/head-layout.ts';
import { fuseElementwiseChains } from './fusions/elementwise-chains.ts';
import { layerNormFromParts, rmsNormFromParts } from './fusions/layer-norm.ts';
import { matmulEpilogue } from './fusions/matmul-epilogue.ts';
import { scaleSoftmax } from './fusions/scale-softmax.ts';
import { type Pass, rulePass } from './pass.ts';
import { CANONICALIZE_RULES } from './passes/canonicalize.ts';
import { commonSubexpressions } from './passes/cse.ts';
import { deadCodeElimination } from './passes/dce.ts';
import { foldConstants } from './passes/fold-constants.ts';
import { mergeProjections } from './passes/merge-projections.ts';

const canonicalize = rulePass('canonicalize', 'identities, movement chains, transposes into matmul flags', CANONICALIZE_RULES);
const fold: Pass = { name: 'fold-constants', description: 'evaluate nodes whose operands are constants and shapes known', run: foldConstants };
const cse: Pass = { name: 'cse', description: 'merge nodes that compute the same thing', run: commonSubexpressions };
const dce: Pass = { name: 'dce', description: 'drop nodes whose results nobody reads', run: deadCodeElimination };
const merge: Pass = { name: 'merge-projections', description: 'x@W1ᵀ, x@W2ᵀ, … → one matmul and a split', run: mergeProjections };

export interface Phase {
  readonly name: string;
  readonly passes: readonly Pass[];
}

/** The whole pipeline. Fusion order matters: gated linears before merging projections; softmax first, attention reads it; Add & Norm before epilogues. */
export const PHASES: readonly Phase[] = [
  { name: 'simplify', passes: [canonicalize, fold, cse, dce] },
  { name: 'merge', passes: [rulePass('fuse-gated-linear', gatedLinear.law, [gatedLinear]), merge, cse, dce] },
  {
    name: 'fuse',
    passes: [
      rulePass('fuse-layer-norm', `${layerNormFromParts.law}; ${rmsNormFromParts.law}`, [layerNormFromParts, rmsNormFromParts]),
      rulePass('fuse-scale-softmax', scaleSoftmax.law, [scaleSoftmax]),
      rulePass('fuse-attention', attentionFusion.law, [attentionFusion]),
      rulePass('fuse-grouped-attention', groupedAttention.law, [groupedAttention]),
      rulePass('fuse-head-layout', headLayoutAttention.law, [headLayoutAttention]),
      rulePass('fuse-add-layer-norm', addLayerNorm.law, [addLayerNorm]),
      rulePass('fuse-add-rms-norm', addRmsNorm.law, [addRmsNorm]),
      rulePass('fuse-matmul-epilogue', matmulEpilogue.law, [matmulEpilogue]),
      { name: 'fuse-elementwise', description: 'elementwise chains → one fused_elementwise kernel', run: fuseElementwiseChains },
    ],
  },
  { name: 'cleanup', passes: [cse, dce] },
];

export const PASS_NAMES: readonly string[] = [...new Set(PHASES.flatMap((p) => p.passes.map((x) => x.name)))];

/** A pass of the pipeline by name. */
export function passByName(name: string): Pass {
  const pass = PHASES.flatMap((p) => p.passes).find((p) => p.name === name);
  if (!pass) throw new Error(`unknown pass "${name}" (passes: ${PASS_NAMES.join(', ')})`);
  return pass;
}

export interface PipelineOptions {
  /** Pass names to skip. Unknown names are an error. */
  readonly disable?: readonly string[];
  /** Run the verifier after every pass (tests always do). */
  readonly verifyEach?: boolean;
  /** Pass names after which to dump the IR text, or 'all'. */
  readonly dumpAfter?: readonly string[] | 'all';
  /** Receives each dump: its 1-based step number, the pass name and the IR text. */
  readonly onDump?: (step: number, pass: string, text: string) => void;
  /** Stop after the first run of this pass (for `smelt inspect --after`). */
  readonly stopAfter?: string;
  /**
   * Called with the live graph (read it before returning; the next pass edits it) and which pass
   * made each node so far: first as step 0 (pass "built", the copy of the input before any pass),
   * then after every pass. The viewer's per-pass snapshots (trace.ts).
   */
  readonly onStep?: (record: PassRecord, graph: Graph, provenance: Provenance) => void;
}

/** Which pass made a node: its name and the 1-based step of the pipeline run that added it. */
export interface MadeBy {
  readonly pass: string;
  readonly step: number;
}

/** The pass that made each node a pass added; nodes absent were built by the DSL (or parsed). */
export type Provenance = ReadonlyMap<Node, MadeBy>;

export interface PassRecord {
  readonly step: number;
  readonly phase: string;
  readonly pass: string;
  readonly changed: boolean;
  readonly ms: number;
  readonly nodes: number;
}

export interface PipelineResult {
  readonly graph: Graph;
  readonly log: PassRecord[];
  /** For every node of `graph` that a pass added: which pass (nodes of the input graph are absent). */
  readonly provenance: Provenance;
}

function checkNames(names: readonly string[], what: string): void {
  for (const n of names) {
    if (!PASS_NAMES.includes(n)) throw new Error(`${what}: unknown pass "${n}" (passes: ${PASS_NAMES.join(', ')})`);
  }
}

/** Run the pipeline on a copy of `input`; the input graph is left as it was. */
export function optimize(input: Graph, options: PipelineOptions = {}): PipelineResult {
  const disabled = new Set(options.disable ?? []);
  checkNames([...disabled], '--disable');
  if (options.dumpAfter !== undefined && options.dumpAfter !== 'all') checkNames(options.dumpAfter, '--dump-after');
  if (options.stopAfter !== undefined) checkNames([options.stopAfter], '--after');
  const graph = cloneGraph(input);
  const log: PassRecord[] = [];
  const provenance = new Map<Node, MadeBy>();
  options.onStep?.({ step: 0, phase: 'build', pass: 'built', changed: false, ms: 0, nodes: graph.nodes.length }, graph, provenance);
  let step = 0;
  // Every node the graph has held so far: passes make new nodes and never put back one they dropped.
  const seen = new Set(graph.nodes);
  for (const phase of PHASES) {
    for (const pass of phase.passes) {
      if (disabled.has(pass.name)) continue;
      step++;
      const t0 = performance.now();
      const changed = pass.run(graph);
      const record = { step, phase: phase.name, pass: pass.name, changed, ms: performance.now() - t0, nodes: graph.nodes.length };
      log.push(record);
      // Provenance: a node that was not in the graph before the pass is the pass's own.
      for (const n of graph.nodes) {
        if (seen.has(n)) continue;
        seen.add(n);
        provenance.set(n, { pass: pass.name, step });
      }
      if (options.verifyEach) {
        try {
          verifyGraph(graph);
        } catch (e) {
          throw new Error(`after pass ${pass.name} (step ${step}): ${(e as Error).message}`);
        }
      }
      const dump = options.dumpAfter === 'all' || options.dumpAfter?.includes(pass.name);
      if (dump) options.onDump?.(step, pass.name, printGraph(graph));
      options.onStep?.(record, graph, provenance);
      if (options.stopAfter === pass.name) return { graph, log, provenance: live(graph, provenance) };
    }
  }
  return { graph, log, provenance: live(graph, provenance) };
}

/** The provenance of the nodes still in the graph (dropped nodes are forgotten). */
function live(graph: Graph, provenance: Map<Node, MadeBy>): Provenance {
  const nodes = new Set(graph.nodes);
  for (const n of provenance.keys()) if (!nodes.has(n)) provenance.delete(n);
  return provenance;
}
