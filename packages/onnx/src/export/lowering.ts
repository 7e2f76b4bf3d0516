// What a lowering rule gets (the node's attributes, its operands' and results' ONNX names and
// types, the writer) and the table type every op kind must have a rule in: tsc rejects a kind
// without one. A rule that cannot write a node throws OnnxExportError (export.ts names the node).

import type { OpAttrs, OpKind, TensorType } from '@smelt/ir';
import type { OnnxWriter } from './writer.ts';

export interface LowerContext<K extends OpKind> {
  readonly w: OnnxWriter;
  readonly op: K;
  readonly attrs: OpAttrs[K];
  /** ONNX names of the operands. */
  readonly ins: readonly string[];
  /** ONNX names the results must have. */
  readonly outs: readonly string[];
  readonly inTypes: readonly TensorType[];
  readonly outTypes: readonly TensorType[];
}

export type Lowering<K extends OpKind> = (c: LowerContext<K>) => void;

export type LoweringTable<Kinds extends OpKind> = { readonly [K in Kinds]: Lowering<K> };

/** The permutation that swaps the last two axes of a rank-r tensor. */
export function swapLast(r: number): number[] {
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return perm;
}
