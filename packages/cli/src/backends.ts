// Backend choice for the CLI: an explicit --backend must be available (never a silent fallback);
// without one, the fastest CPU backend available runs. WebGPU runs only when named: the adapter
// may be a software one (lavapipe), slower than wasm, and the CLI cannot tell a GPU's speed.

import { type Backend, BackendError, PLANNED_BACKENDS, backendNames, requireBackend } from '@smelt/backends';

/** The default's candidates, fastest first. */
const PREFERENCE = ['wasm', 'js', 'reference'];

export const BACKEND_HELP = `backend: ${PLANNED_BACKENDS.join(', ')} (default: the first available of ${PREFERENCE.join(', ')})`;

export async function pickBackend(name: string | undefined): Promise<Backend> {
  if (name !== undefined) return requireBackend(name);
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
