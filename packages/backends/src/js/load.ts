// loadJs: a JsArtifact + weights → an Executable, by evaluating the artifact's function form: the
// emitted module's code with its declarations unexported and without `load` (emit.ts), so the
// code that runs here is the code exportJsModule writes. A function, not import() of a data: or
// blob: URL: no module loader runs (a dev loader hook such as tsx's costs ~100 ms per module), and
// it works where a URL import does not. A page whose CSP forbids eval cannot load in-process; an
// ahead-of-time export loads there as a file.
// The js backend's memory is the host's: a device tensor (resident.ts) is the typed array itself,
// inputs are read where they are and outputs are written into arrays of their own, so nothing is
// copied either way (the module counts the copies it does make, of outputs that pass an input through).
// Those methods are the module's own (runtime/device-tensors.ts), so an exported model.js has them too.

import type { Tensor } from '@smelt/ir';
import type { TensorInputs } from '../backend.ts';
import type { DeviceTensor, ResidentExecutable, RunValue, TransferCounts } from '../resident.ts';
import type { JsArtifact } from './emit.ts';
import type { DeviceTensors } from './runtime/device-tensors.ts';
import type { HostTensor, ModelSpec, TensorsIn } from './runtime/harness.ts';

/** The exports of an emitted module that the backend uses. */
export interface JsModule {
  readonly MODEL: ModelSpec;
  createModel(weights: TensorsIn): JsModel;
}

export interface JsModel extends DeviceTensors {
  run(inputs: TensorsIn): { [name: string]: HostTensor };
  layout(symbols: readonly number[]): { readonly arena: ArrayBuffer; readonly [view: string]: unknown };
  /** Bytes of outputs copied so far (outputs that pass an input, weight or constant through). */
  readonly copied: number;
  dispose(): void;
}

export interface JsExecutable extends ResidentExecutable {
  /** The loaded module's model: synchronous runs, and the arena layout for inspection. */
  readonly model: JsModel;
}

/** Evaluate an artifact's function form: its MODEL and createModel. */
export function evaluateJs(artifact: JsArtifact): JsModule {
  return new Function(artifact.functionBody)() as JsModule;
}

/** The module's outputs in MODEL's order, as a Map. */
const outputMap = <T>(mod: JsModule, out: { readonly [name: string]: T }) => new Map(mod.MODEL.outputs.map((o) => [o.name, out[o.name]]));

/** Load an artifact with its weights: weights bound and checked, prologue run, B packed. */
export async function loadJs(artifact: JsArtifact, weights: TensorInputs): Promise<JsExecutable> {
  const mod = evaluateJs(artifact);
  const all = new Map<string, HostTensor>(weights as ReadonlyMap<string, HostTensor>);
  for (const [key, t] of artifact.constants) all.set(key, t as HostTensor);
  const model = mod.createModel(all);
  return {
    model,
    async run(inputs) {
      return outputMap(mod, model.run(inputs as ReadonlyMap<string, HostTensor>)) as Map<string, Tensor>;
    },
    async runResident(inputs, keep) {
      return outputMap(mod, model.runResident(inputs as ReadonlyMap<string, HostTensor>, keep)) as Map<string, RunValue>;
    },
    upload: (t) => model.upload(t as HostTensor) as DeviceTensor,
    download: async (t) => (await model.download(t)) as Tensor,
    selectRows: (t, rows) => model.selectRows(t, rows) as DeviceTensor,
    get transfers(): TransferCounts {
      return model.transfers;
    },
    dispose: () => model.dispose(),
  };
}
