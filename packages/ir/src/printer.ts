// The deterministic printer of the textual IR. Node results are numbered %0, %1, … in order;
// inputs and parameters keep their names. parse(print(g)) prints identically (parser.ts).
//
//   graph @seq2seq {
//     input %src : i32[batch, srcLen]
//     param %src_embed.weight : f32[13, 64]
//     %0 = gather(%src_embed.weight, %src) {axis = 0} : f32[batch, srcLen, 64]
//     output logits = %0
//   }

import { type AttrSpec, formatNumber, isDefaultAttr } from './attrs.ts';
import type { Graph, Node, Value } from './graph.ts';
import { OPS } from './ops/table.ts';
import { type TensorType, formatType } from './shape.ts';
import type { Tensor } from './tensor.ts';
import { formatTensorLiteral, spellName } from './text-names.ts';

export function formatAttr(spec: AttrSpec, v: unknown): string {
  switch (spec.kind) {
    case 'int':
    case 'float': return formatNumber(v as number);
    case 'bool': return String(v);
    case 'enum':
    case 'string':
    case 'expr': return JSON.stringify(v);
    case 'dim': return String(v);
    case 'ints':
    case 'dims': return `[${(v as unknown[]).join(', ')}]`;
    case 'dtype': return v as string;
    case 'tensor': return formatTensorLiteral(v as Tensor);
    default: return spec satisfies never;
  }
}

export function formatAttrs(node: Node): string {
  const specs = OPS[node.op].attrs as Record<string, AttrSpec>;
  const attrs = node.attrs as Record<string, unknown>;
  const parts = Object.entries(specs).filter(([k, spec]) => !isDefaultAttr(spec, attrs[k])).map(([k, spec]) => `${k} = ${formatAttr(spec, attrs[k])}`);
  return parts.length ? ` {${parts.join(', ')}}` : '';
}

export class ValueNamer {
  private readonly names = new Map<Value, string>();
  private next = 0;

  name(v: Value): string {
    let n = this.names.get(v);
    if (n === undefined) {
      n = v.name !== undefined ? `%${spellName(v.name)}` : `%${this.next++}`;
      this.names.set(v, n);
    }
    return n;
  }
}

export function formatTypes(types: readonly TensorType[]): string {
  return types.map(formatType).join(', ');
}

export function printNode(node: Node, namer: ValueNamer): string {
  const results = node.outputs.map((v) => namer.name(v)).join(', ');
  const operands = node.inputs.map((v) => namer.name(v)).join(', ');
  return `${results} = ${node.op}(${operands})${formatAttrs(node)} : ${formatTypes(node.outputs.map((v) => v.type))}`;
}

export function printGraph(g: Graph): string {
  const namer = new ValueNamer();
  const lines = [`graph @${spellName(g.name)} {`];
  for (const v of g.inputs) lines.push(`  input ${namer.name(v)} : ${formatType(v.type)}`);
  for (const v of g.params) lines.push(`  param ${namer.name(v)} : ${formatType(v.type)}`);
  for (const n of g.nodes) lines.push(`  ${printNode(n, namer)}`);
  for (const o of g.outputs) lines.push(`  output ${spellName(o.name)} = ${namer.name(o.value)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
