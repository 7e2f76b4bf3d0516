// Device tensors (resident.ts) of an emitted JS module, in process (load.ts) and exported alike:
// createModel gives its model these methods. The js backend's memory is the host's, so a device
// tensor is the typed array itself: inputs are read where they are, and the kernels write every
// output that is an arena buffer of its own into a new array (program.ts), which a kept output
// simply keeps. Nothing crosses, so `transfers` counts only the outputs a run copies (`copied`:
// those that pass an input, weight or constant through).

import { foreignTensor, isDeviceTensor, rowBytes } from '../../resident-checks.ts';
import type { HostTensor, TensorsIn } from './harness.ts';
import type { Elements } from './movement.ts';

/** A typed array of the host, as a device tensor of one model. */
export class JsDeviceTensor {
  readonly kind = 'device';
  constructor(readonly value: HostTensor, readonly owner: object) {}
  get dtype(): string { return this.value.dtype; }
  get shape(): readonly number[] { return this.value.shape; }
  dispose(): void {}
}

export type ResidentValue = HostTensor | JsDeviceTensor;
export type ResidentIn = ReadonlyMap<string, ResidentValue> | { readonly [name: string]: ResidentValue };

/** What createModel's model has before these methods: its run, and the bytes of outputs it copied. */
export interface RunsOnHost {
  run(inputs: TensorsIn): { [name: string]: HostTensor };
  readonly copied: number;
}

export interface DeviceTensors {
  /** run(), with inputs that may be device tensors and the outputs named in `keep` returned as device tensors. */
  runResident(inputs: ResidentIn, keep: Iterable<string>): { [name: string]: ResidentValue };
  upload(t: HostTensor): JsDeviceTensor;
  download(t: unknown): Promise<HostTensor>;
  selectRows(t: unknown, rows: readonly number[]): JsDeviceTensor;
  readonly transfers: { readonly toBackend: number; readonly fromBackend: number };
}

/** `model` with the device-tensor methods added (its own tensors are those it made). */
export function withDeviceTensors<M extends RunsOnHost>(model: M): M & DeviceTensors {
  const own = (t: unknown, what: string): HostTensor => {
    if (!(t instanceof JsDeviceTensor) || t.owner !== model) throw foreignTensor('js', what);
    return t.value;
  };
  const methods: DeviceTensors = {
    runResident(inputs, keep) {
      const host = new Map<string, HostTensor>();
      const entries = inputs instanceof Map ? [...inputs] : Object.entries(inputs as { readonly [name: string]: ResidentValue });
      for (const [name, v] of entries) host.set(name, isDeviceTensor(v) ? own(v, `input "${name}"`) : v as HostTensor);
      const out: { [name: string]: ResidentValue } = model.run(host);
      for (const name of keep) {
        if (!Object.prototype.hasOwnProperty.call(out, name)) throw new Error(`runResident: no output ${JSON.stringify(name)} to keep`);
        out[name] = new JsDeviceTensor(out[name] as HostTensor, model);
      }
      return out;
    },
    upload: (t) => new JsDeviceTensor(t, model),
    download: async (t) => own(t, 'download'),
    selectRows(t, rows) {
      const v = own(t, 'selectRows');
      const inner = rowBytes(v, rows, 1);
      const data = new (v.data.constructor as new (n: number) => Elements)(rows.length * inner);
      rows.forEach((r, i) => (data as Float32Array).set((v.data as Float32Array).subarray(r * inner, (r + 1) * inner), i * inner));
      return new JsDeviceTensor({ dtype: v.dtype, shape: [rows.length, ...v.shape.slice(1)], data }, model);
    },
    get transfers() {
      return { toBackend: 0, fromBackend: model.copied };
    },
  };
  return Object.defineProperties(model, Object.getOwnPropertyDescriptors(methods)) as M & DeviceTensors;
}
