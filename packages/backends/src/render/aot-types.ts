// What the standalone exports share in their generated text: the typed array of each dtype, JSON
// made safe to embed in JavaScript source, and the head of a model.d.ts (the typed-array table, the
// Tensor interface, and Inputs/Outputs with one field per named tensor, its declared shape as doc).
// Names come from the user's graph: they appear only as JSON string literals and in comments
// through commentText.

import type { DType, Dim } from '@smelt/ir';
import { commentText } from './source-text.ts';

export const ARRAY_TYPE: { readonly [D in DType]: string } = {
  f32: 'Float32Array', f16: 'Uint16Array', i32: 'Int32Array', i64: 'BigInt64Array', u8: 'Uint8Array', bool: 'Uint8Array',
};

/** A JSON text safe inside JavaScript source (U+2028/2029 end lines in comments and old engines). */
export const jsonLiteral = (v: unknown): string => JSON.stringify(v).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

interface NamedTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

const field = (t: NamedTensor) => `  /** ${commentText(`${t.dtype}[${t.shape.join(', ')}]`)} */\n  readonly ${jsonLiteral(t.name)}: Tensor<${jsonLiteral(t.dtype)}>;`;

/** `Arrays`, `Tensor`, `Inputs` and `Outputs` of a model.d.ts. */
export function tensorDeclarations(inputs: readonly NamedTensor[], outputs: readonly NamedTensor[]): string {
  return `export interface Arrays {
${Object.entries(ARRAY_TYPE).map(([d, a]) => `  ${d}: ${a};`).join('\n')}
}

/** A tensor: dtype, concrete shape, row-major data (f16 as raw half bits, bool as 0/1 bytes). */
export interface Tensor<D extends keyof Arrays = keyof Arrays> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: Arrays[D];
}

export interface Inputs {
${inputs.map(field).join('\n')}
}

export interface Outputs {
${outputs.map(field).join('\n')}
}`;
}

/**
 * The device-tensor part of a model.d.ts (resident.ts, as an export offers it): `DeviceTensor`,
 * `ResidentInputs`, `ResidentOutputs`, `TransferCounts` and `ResidentModel`, over the file's own
 * tensor type and dtype union (`Inputs` and `Outputs` must be declared).
 */
export function residentDeclarations(tensor = 'Tensor', dtype = 'keyof Arrays'): string {
  return `/** A tensor kept in the model's own memory between runs; only this model's runs take it. */
export interface DeviceTensor {
  readonly kind: 'device';
  readonly dtype: ${dtype};
  readonly shape: readonly number[];
  /** Free its memory; using it afterwards is an error. Disposing twice is allowed. */
  dispose(): void;
}

/** Run inputs, each on the host or a device tensor of this model (read where it is). */
export type ResidentInputs = { readonly [K in keyof Inputs]: Inputs[K] | DeviceTensor } | ReadonlyMap<string, ${tensor} | DeviceTensor>;

/** Run outputs: those named in \`keep\` are device tensors (the caller disposes them), the others host tensors. */
export type ResidentOutputs = { readonly [K in keyof Outputs]: Outputs[K] | DeviceTensor };

/** Bytes copied between host tensors and the model's memory since load(). */
export interface TransferCounts {
  readonly toBackend: number;
  readonly fromBackend: number;
}

/** Tensors that stay in the model's memory between runs, so a loop feeds one run's outputs to the next without the host. */
export interface ResidentModel {
  /** Copy a host tensor into the model's memory (counted in \`transfers\`). */
  upload(t: ${tensor}): DeviceTensor;
  /** Copy a device tensor back to the host (counted). */
  download(t: DeviceTensor): Promise<${tensor}>;
  /** Rows \`rows\` of axis 0 (in that order, a row may repeat) as a new device tensor, copied within the model's memory. */
  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor;
  readonly transfers: TransferCounts;
}`;
}
