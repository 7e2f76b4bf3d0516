// loadJs: a JsArtifact + weights → an Executable, by evaluating the artifact's function form: the
// emitted module's code with its declarations unexported and without `load` (emit.ts), so the
// code that runs here is the code exportJsModule writes. A function, not import() of a data: or
// blob: URL: no module loader runs (a dev loader hook such as tsx's costs ~100 ms per module), and
// it works where a URL import does not. A page whose CSP forbids eval cannot load in-process; an
// ahead-of-time export loads there as a file.
// The js backend's memory is the host's: a device tensor (resident.ts) is the typed array itself,
// inputs are read where they are and outputs are written into arrays of their own, so nothing is
// copied either way (the module counts the copies it does make, of outputs that pass an input through).

import type { DType, Tensor } from '@smelt/ir';
import type { TensorInputs } from '../backend.ts';
import { type DeviceTensor, type ResidentExecutable, type RunValue, type TransferCounts } from '../resident.ts';
import { foreignTensor, isDeviceTensor, rowBytes } from '../resident-checks.ts';
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

const toTensor = (t: HostTensor): Tensor => ({ dtype: t.dtype as DType, shape: t.shape, data: t.data }) as Tensor;

/** A typed array of the host, as a device tensor of one executable. */
class JsDeviceTensor implements DeviceTensor {
  readonly kind = 'device';
  constructor(readonly value: Tensor, readonly owner: object) {}
  get dtype(): DType { return this.value.dtype; }
  get shape(): readonly number[] { return this.value.shape; }
  dispose(): void {}
}

/** Load an artifact with its weights: weights bound and checked, prologue run, B packed. */
export async function loadJs(artifact: JsArtifact, weights: TensorInputs): Promise<JsExecutable> {
  const mod = evaluateJs(artifact);
  const all = new Map<string, HostTensor>(weights as ReadonlyMap<string, HostTensor>);
  for (const [key, t] of artifact.constants) all.set(key, t as HostTensor);
  const model = mod.createModel(all);
  const own = (t: DeviceTensor, what: string): Tensor => {
    if (!(t instanceof JsDeviceTensor) || t.owner !== model) throw foreignTensor('js', what);
    return t.value;
  };
  const runOnce = (inputs: Parameters<JsModel['run']>[0]) => {
    const out = model.run(inputs);
    return new Map(mod.MODEL.outputs.map((o) => [o.name, toTensor(out[o.name])]));
  };
  return {
    model,
    async run(inputs) {
      return runOnce(inputs as ReadonlyMap<string, HostTensor>);
    },
    async runResident(inputs, keep) {
      const host = new Map<string, HostTensor>();
      for (const [name, v] of inputs) host.set(name, (isDeviceTensor(v) ? own(v, `input "${name}"`) : v) as HostTensor);
      const out = runOnce(host);
      return new Map<string, RunValue>([...out].map(([name, t]) => [name, keep.has(name) ? new JsDeviceTensor(t, model) : t]));
    },
    upload: (t) => new JsDeviceTensor(t, model),
    download: async (t) => own(t, 'download'),
    selectRows(t, rows) {
      const v = own(t, 'selectRows');
      const inner = v.shape.slice(1).reduce((a, b) => a * b, 1);
      rowBytes(v, rows, 1);
      const data = new (v.data.constructor as new (n: number) => Float32Array)(rows.length * inner);
      rows.forEach((r, i) => data.set((v.data as Float32Array).subarray(r * inner, (r + 1) * inner), i * inner));
      return new JsDeviceTensor({ dtype: v.dtype, shape: [rows.length, ...v.shape.slice(1)], data } as Tensor, model);
    },
    get transfers(): TransferCounts {
      return { toBackend: 0, fromBackend: model.copied };
    },
    dispose: () => model.dispose(),
  };
}
