// Fuzzing the model config (outside data the CLI parses): thousands of seeded mutations of a valid
// config (keys dropped, added, renamed; values of every JSON type, out of range, fractional,
// huge) either parse into a config that builds a model or fail with a ConfigError naming the
// file; nothing else is ever thrown. Parsed configs are then built, so an accepted config never
// breaks the model builder.

import { describe, expect, it } from 'vitest';
import { ConfigError, buildModel, isZooConfig, parseConfig } from '@smelt/models';
import { SMALL_SEQ2SEQ, seededRandom } from './fixtures.ts';

const VALUES: unknown[] = [
  null, true, false, 0, -1, 1, 2, 3, 1.5, -0, 1e9, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, '', 'relu', 'gelu', 'seq2seq',
  'torch-transformer', '16', [], [1], {}, { a: 1 }, 1e-5, 1e308, -1e-5,
];

function mutate(base: Record<string, unknown>, rand: () => number): Record<string, unknown> {
  const cfg = { ...base };
  const keys = Object.keys(cfg);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  for (let edits = 1 + Math.floor(rand() * 3); edits > 0; edits--) {
    const r = rand();
    if (r < 0.15) delete cfg[pick(keys)];
    else if (r < 0.25) cfg[pick(['extra', 'dmodel', '__proto__', 'constructor', 'n_head'])] = pick(VALUES);
    else cfg[pick(keys)] = pick(VALUES);
  }
  return cfg;
}

describe('config fuzz', () => {
  it('accepts the base configs', () => {
    expect(parseConfig(SMALL_SEQ2SEQ).model).toBe('seq2seq');
  });

  it('every mutation parses and builds, or fails with a ConfigError naming the file', () => {
    const rand = seededRandom(20261128);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const raw = mutate(SMALL_SEQ2SEQ, rand);
      let cfg;
      try {
        cfg = parseConfig(JSON.parse(JSON.stringify(raw)), 'fuzz.json');
      } catch (e) {
        if (!(e instanceof ConfigError)) throw new Error(`case ${i} ${JSON.stringify(raw)}: threw ${(e as Error).name}: ${(e as Error).message}`);
        expect((e as Error).message, `case ${i}`).toMatch(/fuzz\.json/);
        continue;
      }
      accepted++;
      if (!isZooConfig(cfg) && cfg.dModel <= 64 && cfg.dimFeedforward <= 256 && cfg.numEncoderLayers + cfg.numDecoderLayers <= 4) buildModel(cfg);
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it.each([
    ['not an object', 7],
    ['an array', []],
    ['null', null],
  ])('%s is a ConfigError', (_name, raw) => {
    expect(() => parseConfig(raw, 'fuzz.json')).toThrow(ConfigError);
  });
});
