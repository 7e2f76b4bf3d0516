// Rotary position embeddings (RoPE) as a layer over the rope op: one pair of cos/sin tables per model
// (rotaryTables: Hugging Face's f32 arithmetic, computed once), applied to queries and keys in head
// layout [batch, heads, len, headDim] from a position offset: 0, or a cache's length (`past`) in a
// decoding step. Half-rotated pairs (GPT-NeoX, Llama) by default, interleaved (GPT-J) on request.

import type { GraphBuilder } from '../builder.ts';
import type { Var } from '../dsl.ts';
import { type RotaryTables, rope, rotaryTables } from '../dsl-ops.ts';
import type { Dim } from '../shape.ts';

export interface RotaryOptions {
  /** Entries of each head row rotated (the head size for Llama). */
  readonly dim: number;
  /** Positions the tables hold: the longest sequence. */
  readonly maxPositions: number;
  /** theta (Hugging Face's rope_theta), default 10000. */
  readonly base?: number;
  readonly interleaved?: boolean;
}

export class RotaryEmbedding {
  readonly tables: RotaryTables;
  readonly interleaved: boolean;

  constructor(b: GraphBuilder, options: RotaryOptions) {
    this.tables = rotaryTables(b, options);
    this.interleaved = options.interleaved ?? false;
  }

  /** x [..., len, headDim] rotated as positions offset, offset + 1, … */
  apply(x: Var, offset: Dim = 0): Var {
    return rope(x, this.tables, { offset, interleaved: this.interleaved });
  }
}
