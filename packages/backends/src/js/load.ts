// loadJs: a JsArtifact + weights → an Executable, by importing the emitted module itself (a data:
// URL in Node, a blob: URL elsewhere): what runs here is byte for byte what exportJsModule writes.

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

function moduleUrl(source: string): string {
  const nodeBuffer = (globalThis as { Buffer?: { from(s: string): { toString(enc: string): string } } }).Buffer;
  if (nodeBuffer) return `data:text/javascript;base64,${nodeBuffer.from(source).toString('base64')}`;
  return URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
}

/** Import an emitted module. */
export async function importJsModule(source: string): Promise<JsModule> {
  return (await import(/* @vite-ignore */ moduleUrl(source))) as JsModule;
}

const toTensor = (t: HostTensor): Tensor => ({ dtype: t.dtype as DType, shape: t.shape, data: t.data }) as Tensor;

/** Load an artifact with its weights: weights bound and checked, prologue run, B packed. */
export async function loadJs(artifact: JsArtifact, weights: TensorInputs): Promise<JsExecutable> {
  const mod = await importJsModule(artifact.source);
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
