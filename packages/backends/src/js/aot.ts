// Ahead-of-time export: a kernel plan and its weights → the files of a folder that runs with
// nothing of smelt installed: model.js (the emitted module), model.d.ts (typed named inputs and
// outputs, dims in their docs, and the device tensors of runtime/device-tensors.ts), weights.safetensors (the weights the plan reads plus its large
// constants) and a package.json that marks the folder as an ES module package. In memory, so it
// runs in a browser too; @smelt/backends/node writes them.

import { type KernelPlan, baseBuffer } from '@smelt/compiler';
import { type Tensor, serializeSafetensors } from '@smelt/ir';
import { BackendError, type ModuleFiles, type TensorInputs } from '../backend.ts';
import { residentDeclarations } from '../render/aot-types.ts';
import { block, commentText } from '../render/source-text.ts';
import { emitJs } from './emit.ts';
import { stringLiteral } from './expr-js.ts';
import type { ModelSpec, TensorSpec } from './program.ts';
import { ARRAY_TYPE } from './templates.ts';

const typeText = (t: TensorSpec) => `${t.dtype}[${t.shape.join(', ')}]`;

/** `export interface name { … }` with one typed property per tensor, its declared type as its doc. */
function tensorInterface(name: string, doc: string, specs: readonly TensorSpec[]): string {
  return [`/** ${commentText(doc)} */`, ...block(`export interface ${name}`, specs.flatMap((t) => [
    `/** ${commentText(typeText(t))} */`,
    `readonly ${stringLiteral(t.name)}: TensorOf<${stringLiteral(t.dtype)}, ${ARRAY_TYPE[t.dtype]}>;`,
  ]))].join('\n');
}

/** model.d.ts: the module's API with one typed property per named input, output and weight. */
export function declarations(model: ModelSpec): string {
  const symbols = model.symbols.length ? `symbolic dims ${model.symbols.join(', ')} bind from the input shapes at each run` : 'no symbolic dims';
  return `${[
    `// ${commentText(`Types of the smelt JS module for ${stringLiteral(model.name)}: ${symbols}.`)}`,
    "export type DType = 'f32' | 'f16' | 'i32' | 'i64' | 'u8' | 'bool';",
    '/** A tensor: dtype, concrete shape, row-major data (f16 as raw half bits, bool as 0/1 bytes). */\nexport interface TensorOf<D extends DType = DType, A = ArrayLike<number> | BigInt64Array> {\n  readonly dtype: D;\n  readonly shape: readonly number[];\n  readonly data: A;\n}',
    'export type AnyTensor = TensorOf;',
    'export interface TensorSpec { readonly name: string; readonly dtype: DType; readonly shape: readonly (number | string)[] }',
    tensorInterface('Inputs', `The inputs of ${stringLiteral(model.name)}; ${symbols}.`, model.inputs),
    tensorInterface('Outputs', `The outputs of ${stringLiteral(model.name)}.`, model.outputs),
    tensorInterface('Weights', 'The tensors of weights.safetensors: the weights, then graph constants.', [...model.weights, ...model.constants]),
    residentDeclarations('AnyTensor', 'DType'),
    'export interface Model extends ResidentModel {\n  /** Run once; symbolic dims bind from the input shapes. */\n  run(inputs: Inputs | ReadonlyMap<string, AnyTensor>): Outputs;\n  /** run() with inputs that may be device tensors, and the outputs named in `keep` returned as device tensors (the arrays themselves: nothing is copied). */\n  runResident(inputs: ResidentInputs, keep: Iterable<keyof Outputs & string>): ResidentOutputs;\n  /** The arena for these symbol values (made once, then cached). */\n  layout(symbols: readonly number[]): { readonly arena: ArrayBuffer };\n  /** Bytes of outputs copied so far (outputs are written into arrays of their own, except one that passes an input through). */\n  readonly copied: number;\n  dispose(): void;\n}',
    'export declare const MODEL: {\n  readonly name: string;\n  readonly symbols: readonly string[];\n  readonly inputs: readonly TensorSpec[];\n  readonly outputs: readonly TensorSpec[];\n  readonly weights: readonly TensorSpec[];\n  readonly constants: readonly TensorSpec[];\n};',
    '/** Bind the weights (checked by name, dtype and shape), run the prologue, pack the GEMM operands. */\nexport declare function createModel(weights: Weights | ReadonlyMap<string, AnyTensor>): Model;',
    '/** Read weights.safetensors next to model.js (or at `source`: a path or URL) and create the model. */\nexport declare function load(source?: string | URL): Promise<Model>;',
    'export declare function readSafetensors(bytes: Uint8Array): Map<string, AnyTensor>;',
  ].join('\n\n')}\n`;
}

/** The tensors of weights.safetensors: each weight the plan reads (checked), then the large constants. */
function weightFile(plan: KernelPlan, weights: TensorInputs, constants: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const b of plan.buffers) {
    if (b.storage.kind !== 'weight' || baseBuffer(plan.buffers, b.id) !== b.id) continue;
    const t = weights.get(b.storage.name);
    const want = `${b.dtype}[${b.shape.join(', ')}]`;
    if (!t) throw new BackendError(`missing weight ${JSON.stringify(b.storage.name)}: expected ${want}`);
    if (t.dtype !== b.dtype || t.shape.join() !== b.shape.join()) {
      throw new BackendError(`weight ${JSON.stringify(b.storage.name)}: expected ${want}, got ${t.dtype}[${t.shape.join(', ')}]`);
    }
    out.set(b.storage.name, t);
  }
  for (const [key, t] of constants) out.set(key, t);
  return out;
}

/** model.js, model.d.ts, weights.safetensors and package.json of a plan and its weights. */
export function jsModuleFiles(plan: KernelPlan, weights: TensorInputs): ModuleFiles {
  const artifact = emitJs(plan);
  const tensors = weightFile(plan, weights, artifact.constants);
  const pkg = { name: 'smelt-model', private: true, type: 'module', main: './model.js', types: './model.d.ts' };
  return new Map<string, string | Uint8Array>([
    ['model.js', artifact.source],
    ['model.d.ts', declarations(artifact.model)],
    ['weights.safetensors', serializeSafetensors(tensors)],
    ['package.json', `${JSON.stringify(pkg, null, 2)}\n`],
  ]);
}
