// Public API of @smelt/backends: the Backend interface, the registry, and the built-in backends.

export * from './backend.ts';
export { referenceBackend } from './reference.ts';
export * from './js/index.ts';
export * from './wasm/index.ts';

import { registerBackend } from './backend.ts';
import { jsBackend } from './js/index.ts';
import { referenceBackend } from './reference.ts';
import { wasmBackend } from './wasm/index.ts';

registerBackend(referenceBackend);
registerBackend(jsBackend);
registerBackend(wasmBackend);

/** The backends the CLI names in --help; those without an implementation yet report why. */
export const PLANNED_BACKENDS = ['reference', 'js', 'wasm', 'webgpu'] as const;
