// Common subexpression elimination: two nodes with the same op, the same operands and equal
// attributes compute the same values; the later one is replaced by the earlier. Constants are
// keyed by dtype, shape and a hash of their bytes, and compared byte for byte before merging.

import type { Graph, Node, Tensor, Value } from '@smelt/ir';
import { Rewriter } from '../rewrite.ts';
import { deadCodeElimination } from './dce.ts';

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** FNV-1a over the tensor's bytes: a cheap key; equality is confirmed by `sameAttrs`. */
function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'data' in v && 'dtype' in v;
}

function sameAttrs(a: object, b: object): boolean {
  for (const [k, x] of Object.entries(a)) {
    const y = (b as Record<string, unknown>)[k];
    if (isTensor(x) && isTensor(y)) {
      const bx = bytesOf(x);
      const by = bytesOf(y);
      if (bx.length !== by.length || bx.some((v, i) => v !== by[i])) return false;
    }
  }
  return true;
}

/** A primitive attribute, or an array of them, as text (undefined for anything else). */
function plainKey(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number': return Number.isFinite(v) ? String(v) : `~${v}`;
    case 'string': return JSON.stringify(v);
    case 'boolean': return String(v);
    default:
      if (!Array.isArray(v)) return undefined;
      for (const x of v) if (typeof x !== 'number' && typeof x !== 'string') return undefined;
      return `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(',')}]`;
  }
}

/** Attributes as a string independent of key order (the parser keeps the order of the text). */
function attrKey(attrs: object): string {
  const entries = Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1));
  const plain = entries.map(([k, v]) => { const t = plainKey(v); return t === undefined ? undefined : `${k}=${t}`; });
  if (plain.every((t) => t !== undefined)) return `{${plain.join(';')}}`;
  return slowAttrKey(attrs);
}

/** attrKey of attributes holding tensors or nested values: JSON, tensors by dtype, shape and a hash of their bytes. */
function slowAttrKey(attrs: object): string {
  const sorted = Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted, (_k, v: unknown) => {
    if (isTensor(v)) return `${v.dtype}[${v.shape.join(',')}]:${bytesOf(v).length}:${hashBytes(bytesOf(v))}`;
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

export function commonSubexpressions(g: Graph): boolean {
  const ids = new Map<Value, number>();
  let next = 0;
  const id = (v: Value) => {
    let i = ids.get(v);
    if (i === undefined) ids.set(v, (i = next++));
    return i;
  };
  const seen = new Map<string, Node>();
  const rw = new Rewriter(g);
  let changed = false;
  for (const node of [...g.nodes]) {
    const key = `${node.op}(${node.inputs.map(id).join(',')})${attrKey(node.attrs)}`;
    const first = seen.get(key);
    if (!first || !sameAttrs(first.attrs, node.attrs)) {
      seen.set(key, node);
      node.outputs.forEach(id);
      continue;
    }
    node.outputs.forEach((v, i) => rw.replace(v, first.outputs[i]));
    node.outputs.forEach((v, i) => ids.set(v, id(first.outputs[i])));
    changed = true;
  }
  if (changed) deadCodeElimination(g);
  return changed;
}
