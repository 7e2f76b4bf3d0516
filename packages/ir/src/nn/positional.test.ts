// The positional table against the paper's formula evaluated in f64: at maxLen 5000 and d 512 every
// entry is within 1e-6 (f32 rounding of values in [-1, 1] is at most 6e-8; an f32 angle misses by 4e-4).

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../builder.ts';
import { interpret } from '../interpreter.ts';
import { PositionalEncoding } from './positional.ts';

describe('PositionalEncoding', () => {
  it('matches sin/cos(p / 10000^(2i/d)) in f64 to 1e-6 at maxLen 5000, d 512', () => {
    const [maxLen, d] = [5000, 512];
    const b = new GraphBuilder('pe');
    b.output('table', new PositionalEncoding(b, maxLen, d).table.value);
    const table = interpret(b.graph, new Map(), new Map()).get('table')!;
    expect(table.shape).toEqual([maxLen, d]);
    const got = table.data as Float32Array;
    let worst = { error: 0, at: '' };
    for (let p = 0; p < maxLen; p++) {
      for (let i = 0; i < d / 2; i++) {
        const angle = p / 10000 ** ((2 * i) / d);
        for (const [j, want] of [[2 * i, Math.sin(angle)], [2 * i + 1, Math.cos(angle)]]) {
          const error = Math.abs(got[p * d + j] - want);
          if (error > worst.error) worst = { error, at: `[${p}, ${j}]` };
        }
      }
    }
    expect(worst.error, `largest error at ${worst.at}`).toBeLessThan(1e-6);
  });
});
