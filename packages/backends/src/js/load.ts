// loadJs: a JsArtifact + weights → an Executable, by evaluating the artifact's function form: the
// emitted module's code with its declarations unexported and without `load` (emit.ts), so the
// code that runs here is the code exportJsModule writes. A function, not import() of a data: or
// blob: URL: no module loader runs (a dev loader hook such as tsx's costs ~100 ms per module), and
// it works where a URL import does not. A page whose CSP forbids eval cannot load in-process; an
// ahead-of-time export loads there as a file.

import type { DType, Tensor } from '@smelt/ir';
import type { Executable, TensorInputs } from '../backend.ts';
import type { JsArtifact } from './emit.ts';
import type { HostTensor, ModelSpec, TensorsIn } from './runtime/harness.ts';

/** The exports of an emitted module that the backend uses. */
export interface JsModule {
  readonly MODEL: ModelSpec;
  createModel(weights: TensorsIn): JsModel;
}

export interface JsModel {
  run(inputs: TensorsIn): { [name: string]: HostTensor };
  layout(symbols: readonly number[]): { readonly arena: ArrayBuffer; readonly [view: string]: unknown };
  dispose(): void;
}

export interface JsExecutable extends Executable {
  /** The loaded module's model: synchronous runs, and the arena layout for inspection. */
  readonly model: JsModel;
}

/** Evaluate an artifact's function form: its MODEL and createModel. */
export function evaluateJs(artifact: JsArtifact): JsModule {
  return new Function(artifact.functionBody)() as JsModule;
}

const toTensor = (t: HostTensor): Tensor => ({ dtype: t.dtype as DType, shape: t.shape, data: t.data }) as Tensor;

/** Load an artifact with its weights: weights bound and checked, prologue run, B packed. */
export async function loadJs(artifact: JsArtifact, weights: TensorInputs): Promise<JsExecutable> {
  const mod = evaluateJs(artifact);
  const all = new Map<string, HostTensor>(weights as ReadonlyMap<string, HostTensor>);
  for (const [key, t] of artifact.constants) all.set(key, t as HostTensor);
  const model = mod.createModel(all);
  return {
    model,
    async run(inputs) {
      const out = model.run(inputs as ReadonlyMap<string, HostTensor>);
      return new Map(mod.MODEL.outputs.map((o) => [o.name, toTensor(out[o.name])]));
    },
    dispose: () => model.dispose(),
  };
}
