// Operands seen through numpy broadcasting to an output shape, with adjacent output dims merged
// wherever every operand either has both or broadcasts both, so a loop nest over the result
// has as few (and as long) dims as possible. Extents stay symbolic; strides are emitted as
// products of dims at run time.

import type { Dim } from '@smelt/ir';

export interface MergedView {
  /** Extent of each merged dim: the output dims it multiplies. */
  readonly extents: readonly (readonly Dim[])[];
  /** For each operand, whether it has each merged dim (false: broadcast, stride 0). */
  readonly present: readonly (readonly boolean[])[];
}

/** Per output dim, whether an operand of `shape` (right-aligned) has that dim rather than broadcasting it. */
export function presence(shape: readonly Dim[], out: readonly Dim[]): boolean[] {
  const off = out.length - shape.length;
  return out.map((d, j) => {
    const i = j - off;
    return i >= 0 && !(shape[i] === 1 && d !== 1);
  });
}

/** Merge the output dims of `out` for operands of the given shapes; size-1 output dims drop out. */
export function mergeView(out: readonly Dim[], shapes: readonly (readonly Dim[])[]): MergedView {
  const flags = shapes.map((s) => presence(s, out));
  const keep = out.map((d, j) => j).filter((j) => out[j] !== 1);
  const extents: Dim[][] = [];
  const present: boolean[][] = shapes.map(() => []);
  for (const j of keep) {
    const last = extents.length - 1;
    const same = last >= 0 && flags.every((f, o) => f[j] === present[o][last]);
    if (same) {
      extents[last].push(out[j]);
    } else {
      extents.push([out[j]]);
      flags.forEach((f, o) => present[o].push(f[j]));
    }
  }
  return { extents, present };
}

/** Element stride of each merged dim for one operand: the product of the extents it has to the right. */
export function stridesOf(view: MergedView, operand: number): (readonly Dim[] | null)[] {
  const has = view.present[operand];
  const out: (readonly Dim[] | null)[] = [];
  let acc: Dim[] = [];
  for (let d = view.extents.length - 1; d >= 0; d--) {
    out[d] = has[d] ? [...acc] : null;
    if (has[d]) acc = [...acc, ...view.extents[d]];
  }
  return out;
}
