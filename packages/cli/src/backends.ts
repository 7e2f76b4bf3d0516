// Backend choice for the CLI: an explicit --backend must be available (never a silent fallback);
// without one, the fastest available backend runs.

import { type Backend, BackendError, PLANNED_BACKENDS, backendNames, requireBackend } from '@smelt/backends';

/** Fastest first. */
const PREFERENCE = ['webgpu', 'wasm', 'js', 'reference'];

export const BACKEND_HELP = `backend: ${PLANNED_BACKENDS.join(', ')} (default: the fastest available)`;

export async function pickBackend(name: string | undefined): Promise<Backend> {
  if (name !== undefined) {
    if (!backendNames().includes(name) && (PLANNED_BACKENDS as readonly string[]).includes(name)) {
      throw new BackendError(`backend "${name}" is not available: it is not implemented yet (available: ${backendNames().join(', ')})`);
    }
    return requireBackend(name);
  }
  for (const candidate of PREFERENCE) {
    if (!backendNames().includes(candidate)) continue;
    try {
      return await requireBackend(candidate);
    } catch {
      // not available here; try the next one
    }
  }
  throw new BackendError('no backend is available');
}
