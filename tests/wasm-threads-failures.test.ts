// A failed threaded run leaves the worker pool and memory as they were: one 2-thread wasm executable
// (compiled in process, and an exported model.js with load({ threads: 2 })) alternates 100 runs that
// trap with 100 good runs, in a child process (wasm-pool-child.ts) so that a hang — the calling thread
// stuck in a barrier, as before pool-run.ts waited for every worker to leave a failed run — ends in a
// timeout here instead of blocking the runner. Every bad run fails with the trap, every good run
// gives the first good run's values (before, good runs also failed with the previous run's error).

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const TIMEOUT_MS = 120_000;

interface ChildResult { threads: number; pairs: number; badMessages: string[]; goodFailures: string[] }

function child(mode: 'api' | 'aot'): ChildResult {
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/wasm-pool-child.ts'), mode], {
      cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { signal?: string; stderr?: string; message: string };
    if (err.signal === 'SIGKILL') throw new Error(`${mode}: the alternating runs hung (killed after ${TIMEOUT_MS / 1000} s)`);
    throw new Error(`${mode}: the child failed: ${err.stderr || err.message}`);
  }
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

describe.skipIf(cores < 2)('wasm threads: failed runs alternating with good runs', () => {
  if (cores < 2) console.warn('[wasm threads] skipped: one core, so load({ threads: 2 }) runs one thread');

  it.each([
    ['the in-process executable', 'api', /^wasm run kernel \d+ \(gather\) failed: an index is out of range$/],
    ['an exported model.js', 'aot', /^wasm run kernel \d+ \(gather\) failed: an index is out of range$/],
  ] as const)('%s: 100 pairs, no hang, every good run right', { timeout: 2 * TIMEOUT_MS }, (_name, mode, trap) => {
    const r = child(mode);
    expect(r.threads).toBe(2);
    expect(r.pairs).toBe(100);
    expect(r.goodFailures).toEqual([]);
    expect(r.badMessages).toHaveLength(1);
    expect(r.badMessages[0]).toMatch(trap);
  });
});
