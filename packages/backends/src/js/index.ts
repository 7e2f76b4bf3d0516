// The JS backend: kernel plans become one standalone ES module each, written directly as text (no
// compiler runs, so compiling takes milliseconds and works in a browser), with register-tiled
// GEMMs, fused epilogues and one-pass row kernels over a single arena. Registered as "js".
// Quantized weights (`weightsDtype`) are dequantized on load (quantize.ts).
// Public API: jsBackend, emitJs, loadJs, evaluateJs, jsModuleFiles (@smelt/backends/node writes them).

import { type KernelPlan, compileGraph, lowerToPlan } from '@smelt/compiler';
import type { Graph } from '@smelt/ir';
import { BackendError, type CompileOptions, type EmittingBackend, type TensorInputs } from '../backend.ts';
import { checkGraph } from '../graph-checks.ts';
import { JS_CAPABILITIES, type JsArtifact, emitJs } from './emit.ts';
import { type JsExecutable, loadJs } from './load.ts';
import { jsModuleFiles } from './aot.ts';
import { dequantizedWeights, weightsDtypeOf } from '../quantize.ts';

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
  const plan = planForJs(graph, options);
  return loadJs(emitJs(plan), dequantizedWeights(plan, weights, weightsDtypeOf(options.weightsDtype)));
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
    const dtype = weightsDtypeOf(options?.weightsDtype);
    if (dtype !== 'f32') throw new BackendError(`js export: weightsDtype ${dtype} is not supported (the js backend dequantizes on load, so its weight file would not shrink); export with --target wasm`);
    return jsModuleFiles(planForJs(graph, options), weights);
  },
  emit: emitJs,
  load: loadJs,
};
