// Endurance (issue 18): on each backend, 1000 runs of W-small in one process grow resident memory
// by at most 5% after a warm-up, and 20 compile/run/dispose cycles after 15 of warm-up do not grow
// it (dispose frees every buffer: WebGPU buffers and devices destroyed, wasm memories and workers
// released; without dispose, wasm grows 10% in those 20 cycles). Each measurement runs in a child
// process (endurance-child.ts) with --expose-gc. Concurrent run() calls on one executable are
// queued: each gets the answer it would get alone. W-small at source and
// target length 2048 and 4096 runs on wasm and webgpu, or is refused naming the limit it needs
// (wasm memory pages, a WebGPU buffer or binding size, workgroups) before any kernel runs.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tensor, interpret } from '@smelt/ir';
import { getBackend } from '@smelt/backends';
import { CASES, make } from './op-cases.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BACKENDS = ['js', 'wasm', 'webgpu'] as const;
const UNAVAILABLE = new Map(await Promise.all(BACKENDS.map(async (n) => [n, await getBackend(n).unavailableReason()] as const)));
const MAX_GROWTH = 0.05;

interface Measure { before: number; after: number; checksum: number }
interface Long { shape?: number[]; finite?: boolean; error?: string }
const LIMIT = /pages of memory|maxBufferSize|maxStorageBufferBindingSize|maxComputeWorkgroupsPerDimension/;

function child<T = Measure>(mode: 'runs' | 'cycles' | 'long', backend: string, n: number): T {
  const stdout = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'tests/endurance-child.ts'), mode, backend, String(n)], {
    cwd: ROOT, encoding: 'utf8', timeout: 1_500_000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

describe.each(BACKENDS)('endurance on %s', (name) => {
  const why = UNAVAILABLE.get(name);
  if (why && process.env.CI === 'true') it('can run', () => { throw new Error(`${name} cannot run in CI: ${why}`); });
  if (why) console.warn(`[endurance] skipping ${name}: ${why}`);

  it.skipIf(why !== undefined)('1000 runs of W-small grow RSS by at most 5% after warm-up', { timeout: 1_600_000 }, () => {
    const m = child('runs', name, 1000);
    expect(Number.isFinite(m.checksum), 'outputs are finite').toBe(true);
    expect(m.after, `RSS ${m.before.toFixed(1)} MB after warm-up, ${m.after.toFixed(1)} MB after 1000 runs`).toBeLessThanOrEqual(m.before * (1 + MAX_GROWTH));
  });

  it.skipIf(why !== undefined)('20 compile/run/dispose cycles do not grow RSS', { timeout: 1_600_000 }, () => {
    const m = child('cycles', name, 20);
    expect(Number.isFinite(m.checksum)).toBe(true);
    expect(m.after, `RSS ${m.before.toFixed(1)} MB after the warm-up cycles, ${m.after.toFixed(1)} MB after 20 more`).toBeLessThanOrEqual(m.before * (1 + MAX_GROWTH));
  });

  // Long lengths are checked where the issue asks for them, wasm and webgpu (js is not asked: no test, not a skipped one).
  if (name !== 'js') {
    it.skipIf(why !== undefined).each([[2048], [4096]])('W-small at length %i runs, or is refused naming the limit', { timeout: 1_600_000 }, (len) => {
      const r = child<Long>('long', name, len);
      if (r.error !== undefined) expect(r.error, 'a refusal names the limit').toMatch(LIMIT);
      else expect([r.shape, r.finite]).toEqual([[1, len, 256], true]);
    });
  }

  it.skipIf(why !== undefined)('concurrent run() calls on one executable are queued, never interleaved', { timeout: 300_000 }, async () => {
    const c = CASES.attention()[0];
    const exe = await getBackend(name).compile(c.graph, c.weights);
    try {
      const inputs = [5, 9, 3, 7, 5, 2].map((n, i) => new Map<string, Tensor>([
        ['q', make('f32', [2, 3, n, 8], (j) => Math.sin(j + i))], ['k', make('f32', [2, 3, n + 1, 8], (j) => Math.cos(j * i))],
        ['v', make('f32', [2, 3, n + 1, 4], (j) => (j % 7) - i)], ['mask', make('f32', [2, 1, 1, n + 1], (j) => (j % 3 === i % 3 ? -Infinity : 0))],
      ]));
      const together = await Promise.all(inputs.map((x) => exe.run(x)));
      for (const [i, x] of inputs.entries()) {
        const want = interpret(c.graph, x, c.weights).get('y')!;
        const got = together[i].get('y')!;
        expect(got.shape, `run ${i}`).toEqual(want.shape);
        const worst = Math.max(...Array.from(want.data as Float32Array, (w, j) => (Number.isNaN(w) && Number.isNaN((got.data as Float32Array)[j]) ? 0 : Math.abs(w - (got.data as Float32Array)[j]))));
        expect(worst, `run ${i}: its own answer`).toBeLessThan(1e-4);
      }
    } finally {
      exe.dispose();
    }
  });
});
