// Common subexpression elimination: two nodes with the same op, the same operands and equal
// attributes compute the same values; the later one is replaced by the earlier. Constants are
// compared by dtype, shape and bytes.

import { Buffer } from 'node:buffer';
import type { Graph, Node, Tensor, Value } from '@smelt/ir';
import { Rewriter } from '../rewrite.ts';

function attrKey(attrs: object): string {
  return JSON.stringify(attrs, (_k, v: unknown) => {
    if (v && typeof v === 'object' && 'data' in v && 'dtype' in v) {
      const t = v as Tensor;
      return `${t.dtype}[${t.shape.join(',')}]:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')}`;
    }
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
    if (!first) {
      seen.set(key, node);
      node.outputs.forEach(id);
      continue;
    }
    node.outputs.forEach((v, i) => rw.replace(v, first.outputs[i]));
    node.outputs.forEach((v, i) => ids.set(v, id(first.outputs[i])));
    changed = true;
  }
  return changed;
}
