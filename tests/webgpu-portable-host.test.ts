// The WebGPU host code an exported model.js carries without smelt (webgpu/portable-host.ts) agrees
// with smelt's own: the f16 codec with ir/dtype.ts on every half and on awkward f32s, grids folded
// past 65535 workgroups, and arena slot offsets. (Its input check is input-check.ts: input-check.test.ts.)

import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '@smelt/ir';
import { f32ToHalfBits, gridSize, halfBitsToF32, slotOffsets } from '../packages/backends/src/webgpu/portable-host.ts';
import { seededRandom } from './fixtures.ts';

describe('webgpu portable host', () => {
  it('decodes every half like ir, and rounds f32 to half like ir', () => {
    for (let h = 0; h < 0x10000; h++) expect(Object.is(halfBitsToF32(h), f16BitsToF32(h)), `half 0x${h.toString(16)}`).toBe(true);
    const rand = seededRandom(9);
    const awkward = [0, -0, NaN, Infinity, -Infinity, 65504, 65520, 65519.99, 1e-8, 5.96e-8, 2.98e-8, 6.1e-5, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
    const values = [...awkward, ...Array.from({ length: 20000 }, () => (rand() - 0.5) * 2 ** (Math.floor(rand() * 60) - 30))];
    for (const v of values) expect(f32ToHalfBits(v), `f32 ${v}`).toBe(f32ToF16Bits(v));
  });

  it('folds a 1-D grid into x and y past 65535 workgroups, and empties it on a zero dim', () => {
    const env = new Map([['n', 70000], ['z', 0]]);
    expect(gridSize({ kind: 'folded', count: { dims: ['n', 64], per: 64 } }, env)).toEqual([65535, 2, 1]);
    expect(gridSize({ kind: 'folded', count: { dims: ['n'], per: 1 }, emptyIf: ['z'] }, env)).toEqual([0, 1, 1]);
    expect(gridSize({ kind: 'xyz', axes: [{ dims: [33], per: 32 }, { dims: [], per: 1 }, { dims: ['n'], per: 1 }] }, env)).toEqual([2, 1, 70000]);
  });

  it('lays arena slots out at the largest buffer of each, aligned', () => {
    const bytes = new Map([[1, 100], [2, 300], [3, 8]]);
    const layout = slotOffsets([[1, 2], [3]], (id) => bytes.get(id)!, 256);
    expect(layout).toEqual({ size: 512 + 256, offsets: new Map([[1, 0], [2, 0], [3, 512]]) });
  });
});
