// Replays every regression case the differential fuzzer kept (tests/fuzz-cases/*.ir: a shrunk graph
// with its inputs, weights and output bounds; packages/fuzz) on every target that can run here
// (all of them under CI=true): the raw and the optimized graph agree with the interpreter.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGET_NAMES, checkConcrete, describeMismatch, readCase, target, targetUnavailable } from '@smelt/fuzz';

const DIR = join(import.meta.dirname, 'fuzz-cases');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ir')).sort();
const AVAILABLE = new Map(await Promise.all(TARGET_NAMES.map(async (t) => [t, await targetUnavailable(t)] as const)));

describe('kept fuzz cases', () => {
  it('are kept (the folder holds at least one)', () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  it.each(TARGET_NAMES.map((t) => [t]))('every case agrees with the interpreter on %s', async (name) => {
    const why = AVAILABLE.get(name);
    if (why && process.env.CI === 'true') throw new Error(`${name} cannot run in CI: ${why}`);
    if (why) return void console.warn(`[fuzz-cases] skipping ${name}: ${why}`);
    const failures: string[] = [];
    for (const file of FILES) {
      const c = readCase(readFileSync(join(DIR, file), 'utf8'), file);
      for (const m of await checkConcrete(c, target(name))) failures.push(`${file}: ${describeMismatch(m)}`);
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
