// emitJs: kernel plan → JsArtifact, the JS backend's printable artifact (one standalone ES module
// plus the graph constants it loads with the weights). The plan is checked first for what the
// module cannot serve (a kernel kind or dtype the backend lacks, an unbound symbol), so emitting
// fails with a reason instead of generating broken code.

import type { KernelPlan } from '@smelt/compiler';
import type { DType, Tensor } from '@smelt/ir';
import { type Artifact, BackendError, type BackendCapabilities, capabilitiesOf, requireCapabilities } from '../backend.ts';
import { ARRAY_TYPE } from '../render/aot-types.ts';
import { JS_KERNELS } from './kernels.ts';
import { type ModuleSource, buildModule } from './module.ts';
import type { ModelSpec } from './program.ts';

export interface JsArtifact extends Artifact {
  readonly backend: 'js';
  /** The ES module, JavaScript: what an ahead-of-time export writes as model.js. */
  readonly source: string;
  /** The same code as the body of a function returning { MODEL, createModel }: what loadJs runs. */
  readonly functionBody: string;
  /** The module's own part (MODEL, kernels, createModel, load) as TypeScript, typed against js/runtime/*.ts. */
  readonly typescript: string;
  /** MODEL, the module's description of its inputs, outputs, weights and constants. */
  readonly model: ModelSpec;
  /** Constants of the graph the module reads from its weights, by key. */
  readonly constants: ReadonlyMap<string, Tensor>;
}

/** What the JS backend renders: its kernel table's kinds, and every dtype it has a typed array for. */
export const JS_CAPABILITIES: BackendCapabilities = capabilitiesOf(JS_KERNELS, {
  dtypes: Object.keys(ARRAY_TYPE) as DType[], symbolicDims: true, standalone: true,
});

/** Throw a BackendError for plans the module cannot serve. */
function checkPlan(plan: KernelPlan): void {
  requireCapabilities('js', JS_CAPABILITIES, plan);
  const bound = new Set(plan.symbols);
  for (const b of plan.buffers) {
    const s = b.storage;
    if (s.kind === 'weight' && b.shape.some((d) => typeof d === 'string')) {
      throw new BackendError(`weight ${JSON.stringify(s.name)} has symbolic shape [${b.shape.join(', ')}]: the JS backend needs weights of known shape`);
    }
    for (const d of b.shape) {
      if (typeof d === 'string' && !bound.has(d)) throw new BackendError(`symbol ${d} is not bound by any input of ${JSON.stringify(plan.name)}`);
    }
  }
}

/** The JS module of a kernel plan. Deterministic: the same plan gives the same text. */
export function emitJs(plan: KernelPlan): JsArtifact {
  checkPlan(plan);
  const m: ModuleSource = buildModule(plan);
  return {
    backend: 'js', plan, model: m.model, constants: m.constants,
    get source() { return m.javascript; },
    get functionBody() { return m.functionBody; },
    get typescript() { return m.typescript; },
    text: () => m.javascript,
  };
}
