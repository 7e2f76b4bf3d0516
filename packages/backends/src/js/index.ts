// The JS backend: kernel plans become one standalone ES module each, written directly as text (no
// compiler runs, so compiling takes milliseconds and works in a browser), with register-tiled
// GEMMs, fused epilogues and one-pass row kernels over a single arena. Registered as "js".
// Public API: jsBackend, emitJs, loadJs, evaluateJs, jsModuleFiles (@smelt/backends/node writes them).

import { type KernelPlan, compileGraph, lowerToPlan } from '@smelt/compiler';
import type { Graph } from '@smelt/ir';
import type { CompileOptions, EmittingBackend, TensorInputs } from '../backend.ts';
import { checkGraph } from '../graph-checks.ts';
import { JS_CAPABILITIES, type JsArtifact, emitJs } from './emit.ts';
import { type JsExecutable, loadJs } from './load.ts';
import { jsModuleFiles } from './aot.ts';

export { type JsArtifact, emitJs } from './emit.ts';
export { type JsExecutable, type JsModel, type JsModule, evaluateJs, loadJs } from './load.ts';
export { declarations, jsModuleFiles } from './aot.ts';
export type { ModelSpec, TensorSpec } from './program.ts';

/** The kernel plan the JS backend runs: optimized unless `optimize: false`. */
export function planForJs(graph: Graph, options: CompileOptions = {}): KernelPlan {
  return options.optimize === false ? lowerToPlan(graph) : compileGraph(graph).plan;
}

export async function compileJs(graph: Graph, weights: TensorInputs, options: CompileOptions = {}): Promise<JsExecutable> {
  checkGraph(graph, weights, options);
  return loadJs(emitJs(planForJs(graph, options)), weights);
}

export const jsBackend: EmittingBackend<JsArtifact> = {
  name: 'js',
  description: 'generated JavaScript (one standalone ES module per plan): register-tiled GEMM, fused epilogues, runs anywhere JS runs',
  capabilities: JS_CAPABILITIES,
  async unavailableReason() {
    return undefined;
  },
  compile: compileJs,
  async exportFiles(graph, weights, options) {
    checkGraph(graph, weights, options);
    return jsModuleFiles(planForJs(graph, options), weights);
  },
  emit: emitJs,
  load: loadJs,
};
