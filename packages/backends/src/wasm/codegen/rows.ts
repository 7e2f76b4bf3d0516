// Rows of a broadcast operation: the output is `rows` rows (the product of the merged outer
// dims); for row r, each operand starts at an element offset found by splitting r into the
// merged outer indices (a div/mod per dim, once per row, never per element).

import type { Dim } from '@smelt/ir';
import type { Local } from '../encoder/code.ts';
import type { KernelCtx } from './context.ts';
import { type MergedView, stridesOf } from './broadcast.ts';
import { get, iadd, imul, op } from './ops.ts';

export interface RowOffsets {
  /** Number of rows. */
  readonly rows: Local;
  /** Emit the element offset of each operand at the start of row `r`. */
  at(r: Local): Local[];
}

/**
 * `view` covers the outer dims; `innerFactor[o]` is what one row of operand o spans (its inner
 * dims, or [] when it broadcasts along the row).
 */
export function rowOffsets(ctx: KernelCtx, view: MergedView, innerFactor: readonly (readonly Dim[])[]): RowOffsets {
  const strides = innerFactor.map((inner, o) => stridesOf(view, o).map((s) => (s === null ? null : [...s, ...inner])));
  return indexSplit(ctx, view.extents, strides);
}

/**
 * Rows over dims of the given extents; operand o moves `strides[o][d]` elements (a product of
 * dims, or null for 0) per step of dim d.
 */
export function indexSplit(ctx: KernelCtx, dims: readonly (readonly Dim[])[], operandStrides: readonly (readonly (readonly Dim[] | null)[])[]): RowOffsets {
  const extents = dims.map((e) => ctx.let(ctx.numel(e)));
  const strides = operandStrides.map((s) => s.map((d) => (d === null ? null : ctx.let(ctx.numel(d)))));
  const rows = ctx.let(ctx.numel(dims.flat()));
  const c = ctx.c;
  return {
    rows,
    at(r) {
      const offs = strides.map(() => c.local('i32'));
      for (const o of offs) c.i32(0).set(o);
      const rem = ctx.let(get(r));
      const idx = c.local('i32');
      for (let d = extents.length - 1; d >= 0; d--) {
        if (d > 0) {
          op('i32.rem_u', get(rem), get(extents[d]))(c);
          c.set(idx);
          op('i32.div_u', get(rem), get(extents[d]))(c);
          c.set(rem);
        } else {
          c.get(rem).set(idx);
        }
        strides.forEach((s, o) => {
          const st = s[d];
          if (!st) return;
          iadd(get(offs[o]), imul(get(idx), get(st)))(c);
          c.set(offs[o]);
        });
      }
      return offs;
    },
  };
}
