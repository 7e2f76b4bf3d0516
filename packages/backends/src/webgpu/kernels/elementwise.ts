// Elementwise kernels: one invocation per output element; each operand is read at its broadcast
// index and the body is the kernel's Expr rendered by the one renderer. Scalar constants are
// `let`s of their literal value, so they cost no storage binding.

import { type Dim, type Expr, type Tensor, numel } from '@smelt/ir';
import { type KernelWriter, BUILTINS, FLAT_GROUP, grid1d } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { type Operand, renderExpr } from '../wgsl-expr.ts';
import { literal, valueType } from '../wgsl-types.ts';

const WG = 256;

/** A scalar constant buffer's value, or undefined when the operand must be read from memory. */
export function scalarConstant(w: KernelWriter, id: number): number | undefined {
  let b = w.plan.buffers[id];
  while (b.storage.kind === 'alias') b = w.plan.buffers[b.storage.of];
  if (b.storage.kind !== 'constant') return undefined;
  const t: Tensor = b.storage.value;
  if (numel(t.shape) !== 1 || t.data instanceof BigInt64Array) return undefined;
  return t.data[0] as number;
}

export interface OperandReads {
  /** Lines that load every operand at the output coordinates `${prefix}k`. */
  readonly lines: string[];
  readonly operands: Operand[];
}

/** Bind operands for reading (call before any load). */
export function bindOperands(w: KernelWriter, ids: readonly number[]): void {
  for (const id of ids) if (scalarConstant(w, id) === undefined) w.bind(id, 'read');
}

/** Load each operand at output index `flat` (coordinates `${prefix}k` over `outShape`). */
export function readOperands(w: KernelWriter, ids: readonly number[], outShape: readonly Dim[], flat: string, prefix: string): OperandReads {
  const lines: string[] = [];
  const operands = ids.map((id, i): Operand => {
    const dtype = w.dtype(id);
    const c = scalarConstant(w, id);
    // A constant is a `let` as any other operand, never a bare literal (see wgsl-expr.ts).
    const shape = w.shape(id);
    const same = shape.length === outShape.length && shape.every((d, k) => d === outShape[k]);
    const value = c !== undefined ? literal(valueType(dtype), c) : w.load(id, same ? flat : w.broadcastIndex(shape, outShape, prefix));
    lines.push(`let ${prefix}x${i} = ${value};`);
    return { value: `${prefix}x${i}`, dtype };
  });
  return { lines, operands };
}

/** The coordinate lines only when some operand broadcasts (otherwise the flat index serves all). */
export function coordsIfNeeded(w: KernelWriter, ids: readonly number[], outShape: readonly Dim[], flat: string, prefix: string): string[] {
  const broadcasts = ids.some((id) => {
    const s = w.shape(id);
    return scalarConstant(w, id) === undefined && !(s.length === outShape.length && s.every((d, k) => d === outShape[k]));
  });
  return broadcasts ? w.coords(flat, outShape, prefix) : [];
}

export function elementwiseKernel(w: KernelWriter, k: { label: string; out: number; inputs: readonly number[]; expr: Expr }): KernelProgram {
  bindOperands(w, k.inputs);
  w.bind(k.out, 'read_write');
  const outShape = w.shape(k.out);
  const reads = readOperands(w, k.inputs, outShape, 'i', 'c');
  const body = renderExpr(k.expr, reads.operands);
  const code = `
@compute @workgroup_size(${WG})
fn main(${BUILTINS}) {
  let i = ${FLAT_GROUP} * ${WG}u + li;
  if (i >= ${w.numel(k.out)}) { return; }
  ${[...coordsIfNeeded(w, k.inputs, outShape, 'i', 'c'), ...reads.lines, ...body.lines, w.store(k.out, 'i', body.value)].join('\n  ')}
}`;
  return {
    label: k.label,
    wgsl: w.module(k.label, code),
    bindings: w.specs(),
    grid: grid1d(outShape, WG),
  };
}
