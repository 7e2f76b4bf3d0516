// Sinusoidal positional encoding of the paper: PE[p, 2i] = sin(p / 10000^(2i/d)),
// PE[p, 2i+1] = cos(same). The [maxLen, d] table is one constant computed in f64 and rounded to f32
// once: computed in f32 (an iota graph), the angle p·10000^(-2i/d) loses its low bits as p grows,
// and sin/cos of it miss by 6.7e-5 at p = 2047 and 3.9e-4 at p = 4999. forward adds `len` rows from a
// start position (0, or the length of a decoding cache).

import { BuildError, type GraphBuilder } from '../builder.ts';
import { constant, type Var } from '../dsl.ts';
import type { Dim } from '../shape.ts';
import { type Tensor, tensor } from '../tensor.ts';

/** The [maxLen, dModel] table, f64 arithmetic rounded once to f32. */
export function positionalTable(maxLen: number, dModel: number): Tensor<'f32'> {
  const table = tensor('f32', [maxLen, dModel]);
  const data = table.data as Float32Array;
  for (let i = 0; i < dModel / 2; i++) {
    const rate = Math.exp((-2 * i * Math.log(10000)) / dModel);
    for (let p = 0; p < maxLen; p++) {
      data[p * dModel + 2 * i] = Math.sin(p * rate);
      data[p * dModel + 2 * i + 1] = Math.cos(p * rate);
    }
  }
  return table;
}

export class PositionalEncoding {
  readonly table: Var;

  constructor(b: GraphBuilder, readonly maxLen: number, readonly dModel: number) {
    if (dModel % 2 !== 0) throw new BuildError(`PositionalEncoding: dModel ${dModel} must be even`);
    this.table = constant(b, positionalTable(maxLen, dModel));
  }

  /** x [batch, len, d] + PE[start : start + len] (start > 0 for positions after a decoding cache). */
  forward(x: Var, start: Dim = 0): Var {
    const len = x.shape[1] as Dim;
    return x.add(this.table.slice(0, start, len));
  }
}
