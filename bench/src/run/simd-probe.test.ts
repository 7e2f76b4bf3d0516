// The machine probe: its hand-written module validates, returns what the chains compute, and a
// calibrated probe gives a finite positive rate.

import { describe, expect, it } from 'vitest';
import { SimdProbe, probeModuleBytes, wasmApi } from './simd-probe.ts';

describe('the machine probe', () => {
  it('is a valid module whose result is the sum of its chains', () => {
    const api = wasmApi();
    expect(api.validate(probeModuleBytes())).toBe(true);
    const probe = new api.Instance(new api.Module(probeModuleBytes())).exports.probe as (iters: number) => number;
    // One iteration: six add chains at 0 + 1e-3, six mul chains at 1 · 0.9999999.
    expect(probe(1)).toBeCloseTo(6 * 1e-3 + 6 * 0.9999999, 5);
    expect(probe(10)).toBeCloseTo(6 * 1e-2 + 6 * 0.9999999 ** 10, 5);
  });

  it('measures a positive rate once calibrated', () => {
    const p = new SimdProbe();
    p.calibrate();
    const g = p.measure();
    expect(Number.isFinite(g)).toBe(true);
    expect(g).toBeGreaterThan(0);
  });
});
