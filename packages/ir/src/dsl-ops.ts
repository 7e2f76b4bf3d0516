// DSL functions of the modern Transformer's ops built from several graph ops or checked here:
// repeatKv (grouped-query attention's head repeat, in the pattern the attention fusion folds).
// Shape mistakes are ShapeErrors at the user's file:line, like every op call's.

import { ShapeError } from './builder.ts';
import { userCallSite } from './callsite.ts';
import type { Var } from './dsl.ts';
import { formatType } from './shape.ts';

function fail(op: string, xs: readonly Var[], why: string): never {
  throw new ShapeError(op, xs.map((x) => formatType(x.value.type)).join(', '), why, userCallSite());
}

/**
 * Hugging Face's repeat_kv: keys or values [..., G, L, D] → [..., G·n, L, D], kv head g serving
 * query heads g·n … g·n + n - 1. Emitted as reshape [..., G, 1, L, D] → expand [..., G, n, L, D] →
 * reshape [..., G·n, L, D]; `fuse-grouped-attention` folds exactly this into attention's grouped
 * heads, so no kernel copies a head once attention is fused.
 */
export function repeatKv(x: Var, n: number): Var {
  if (!Number.isSafeInteger(n) || n < 1) fail('repeatKv', [x], `the repeat count must be a positive integer, got ${n}`);
  if (x.rank < 3) fail('repeatKv', [x], 'needs [..., heads, len, headDim] (rank >= 3)');
  const lead = x.shape.slice(0, -3);
  const [g, l, d] = x.shape.slice(-3);
  if (typeof g !== 'number') fail('repeatKv', [x], `the kv head count must be a known number, got ${g}`);
  if (n === 1) return x;
  return x.reshape([...lead, g, 1, l, d]).expand([...lead, g, n, l, d]).reshape([...lead, g * n, l, d]);
}
