// The op table: every op kind of smelt, declared once. The mapped type makes a kind without a
// definition (or a definition of an unknown kind) a compile error.

import { ATTENTION_OPS } from './attention.ts';
import { GROW_OPS } from './broadcast-pad.ts';
import { CONV_OPS } from './conv.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { FUSED_OPS } from './fused.ts';
import { MATMUL_OPS } from './matmul.ts';
import { MOVEMENT_OPS } from './movement.ts';
import { REDUCE_OPS } from './reduce.ts';
import { ROW_OPS, type RowOpKind } from './rows.ts';
import { ROPE_OPS } from './rope.ts';
import { SCAN_OPS } from './scan.ts';
import { SOURCE_OPS } from './source.ts';
import type { AttrSpec } from '../attrs.ts';
import type { OpNode } from '../graph.ts';
import type { TensorType } from '../shape.ts';
import type { ExprNodeKind, OpDef, OpKind, OpTable, Trait } from './types.ts';

export const OPS: OpTable = {
  ...ELEMENTWISE_OPS,
  ...REDUCE_OPS,
  ...ROW_OPS,
  ...ROPE_OPS,
  ...SCAN_OPS,
  ...MATMUL_OPS,
  ...CONV_OPS,
  ...MOVEMENT_OPS,
  ...GROW_OPS,
  ...SOURCE_OPS,
  ...FUSED_OPS,
  ...ATTENTION_OPS,
};

export const OP_KINDS = Object.keys(OPS) as OpKind[];

export function isOpKind(s: string): s is OpKind {
  return Object.prototype.hasOwnProperty.call(OPS, s);
}

export function opDef<K extends OpKind>(kind: K): OpDef<K> {
  return OPS[kind] as OpDef<K>;
}

export function hasTrait(kind: OpKind, trait: Trait): boolean {
  return OPS[kind].traits.includes(trait);
}

export function operandRange(kind: OpKind): readonly [number, number] {
  const n = OPS[kind].operands;
  return typeof n === 'number' ? [n, n] : n;
}

/** Whether a node computes an expression of its operands (an elementwise op, OpDef.expr); narrows its kind. */
export function isExprNode(n: OpNode): n is Extract<OpNode, { op: ExprNodeKind }> {
  return OPS[n.op].expr !== undefined;
}

/** Whether a node is a row op (OpDef.row); narrows its kind. */
export function isRowNode(n: OpNode): n is Extract<OpNode, { op: RowOpKind }> {
  return OPS[n.op].row !== undefined;
}

/**
 * True when what a node computes depends on symbol values: a result shape or a dim attribute
 * (a slice starting at `past`) names a symbol. Such a node is never folded or run at load time.
 */
export function dependsOnSymbols(kind: OpKind, attrs: object, results: readonly TensorType[]): boolean {
  if (results.some((t) => t.shape.some((d) => typeof d === 'string'))) return true;
  const values = attrs as Readonly<Record<string, unknown>>;
  return Object.entries(OPS[kind].attrs as Readonly<Record<string, AttrSpec>>).some(([k, spec]) =>
    (spec.kind === 'dim' && typeof values[k] === 'string')
    || (spec.kind === 'dims' && (values[k] as readonly unknown[]).some((d) => typeof d === 'string')));
}
