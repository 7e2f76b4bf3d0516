// Attention masks as additive f32 tensors: 0 where a key is visible, -inf where it is not.
// Both are built from primitive ops (iota, compare, where), so the compiler can recognize them.

import type { GraphBuilder } from '../builder.ts';
import { iota, type Var, where } from '../dsl.ts';
import type { Dim } from '../shape.ts';

/** [len, len]: -inf above the diagonal (key j > query i), like torch's generate_square_subsequent_mask. */
export function causalMask(b: GraphBuilder, len: Dim): Var {
  const row = iota(b, [len, len], 0);
  const col = iota(b, [len, len], 1);
  return where(col.gt(row), -Infinity, 0);
}

/** [batch, 1, 1, keys] from a bool [batch, keys] padding mask (true = padding, ignored). */
export function keyPaddingMask(padding: Var): Var {
  const [batch, keys] = padding.shape;
  return where(padding, -Infinity, 0).reshape([batch, 1, 1, keys]);
}
