// Public API of @smelt/backends: the Backend interface, the registry, and the built-in backends.

export * from './backend.ts';
export * from './resident.ts';
export { foreignTensor, isDeviceTensor, rowBytes } from './resident-checks.ts';
export { checkGraph, unreadWeights } from './graph-checks.ts';
export { checkInputs, inputOf, type InputContractData, type NamedInputs } from './input-check.ts';
export { referenceBackend } from './reference.ts';
export { jsonLiteral } from './render/aot-types.ts';
export * from './js/index.ts';
export * from './wasm/index.ts';
export {
  webgpuBackend, compileWebGpu, planFor, webgpuModuleFiles, type WebGpuCompileOptions, type WebGpuExecutable, type RunStats,
} from './webgpu/index.ts';

import { registerBackend } from './backend.ts';
import { jsBackend } from './js/index.ts';
import { referenceBackend } from './reference.ts';
import { wasmBackend } from './wasm/index.ts';
import { webgpuBackend } from './webgpu/index.ts';

registerBackend(referenceBackend);
registerBackend(jsBackend);
registerBackend(wasmBackend);
registerBackend(webgpuBackend);

/** The backends the CLI names in --help, in the order it prefers them when none is named. */
export const PLANNED_BACKENDS = ['reference', 'js', 'wasm', 'webgpu'] as const;
