// The browser globals some peers expect, provided in Node: `navigator` (jax-js reads userAgent
// and hardwareConcurrency; Node 20 has no navigator) and `navigator.gpu` from the `webgpu` npm
// package (Dawn), with its GPU* classes on globalThis. Dawn's GPU object is held for the life of
// the process: Dawn crashes when it is collected under a live device.

import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

interface NavigatorLike { userAgent?: string; hardwareConcurrency?: number; gpu?: GPU }

let gpuKeepAlive: unknown;

export function ensureNavigator(): NavigatorLike {
  const g = globalThis as { navigator?: NavigatorLike };
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: `Node.js/${process.version}`, hardwareConcurrency: os.cpus().length },
      configurable: true, writable: true,
    });
  }
  return g.navigator!;
}

/** Put Dawn's navigator.gpu in place; the adapter's description, or a reason there is none. */
export async function installWebGpu(): Promise<{ adapter: string } | { reason: string }> {
  // Mesa's Vulkan drivers (lavapipe) want a runtime folder; any private writable one serves.
  process.env.XDG_RUNTIME_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'bench-xdg-'));
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    return { reason: `the webgpu package (Dawn) failed to load: ${(e as Error).message}` };
  }
  for (const [k, v] of Object.entries(webgpu.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const nav = ensureNavigator();
  if (!nav.gpu) {
    const gpu = webgpu.create([]);
    gpuKeepAlive = gpu;
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  }
  const adapter = await nav.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { reason: 'no WebGPU adapter (install Mesa lavapipe from bookworm-backports: scripts/setup-system.sh, see README.md)' };
  const info = adapter.info;
  return { adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed adapter' };
}
