// Sinusoidal positional encoding of the paper: PE[p, 2i] = sin(p / 10000^(2i/d)),
// PE[p, 2i+1] = cos(same). The [maxLen, d] table is built from iota and folds to a constant;
// forward adds `len` rows from a start position (0, or the length of a decoding cache).

import type { GraphBuilder } from '../builder.ts';
import { concat, iota, type Var } from '../dsl.ts';
import type { Dim } from '../shape.ts';

export class PositionalEncoding {
  readonly table: Var;

  constructor(b: GraphBuilder, readonly maxLen: number, readonly dModel: number) {
    if (dModel % 2 !== 0) throw new Error(`PositionalEncoding: dModel ${dModel} must be even`);
    const half = dModel / 2;
    const pos = iota(b, [maxLen, half], 0, 'f32');
    const i = iota(b, [maxLen, half], 1, 'f32');
    const angle = pos.mul(i.mul((-2 * Math.log(10000)) / dModel).exp());
    const pair = concat([angle.sin().reshape([maxLen, half, 1]), angle.cos().reshape([maxLen, half, 1])], 2);
    this.table = pair.reshape([maxLen, dModel]);
  }

  /** x [batch, len, d] + PE[start : start + len] (start > 0 for positions after a decoding cache). */
  forward(x: Var, start: Dim = 0): Var {
    const len = x.shape[1] as Dim;
    return x.add(this.table.slice(0, start, len));
  }
}
