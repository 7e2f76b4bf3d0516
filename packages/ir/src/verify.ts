// The verifier: re-checks every invariant of a graph, independent of how it was built.
// SSA order, unique names, operand counts, attribute specs, and every op's shape rule re-run
// against the recorded result types. Passes run it after each step in tests.

import { type AttrSpec, checkAttr } from './attrs.ts';
import type { Graph, Node, Value } from './graph.ts';
import { OPS, isOpKind, operandRange } from './ops/table.ts';
import { formatType, typesEqual } from './shape.ts';

export class VerifyError extends Error {
  override name = 'VerifyError';
}

function where(node: Node, index: number): string {
  return `node #${index} (${node.op}${node.loc ? ` at ${node.loc}` : ''})`;
}

function checkNode(node: Node, index: number, defined: Set<Value>): void {
  const at = where(node, index);
  if (!isOpKind(node.op)) throw new VerifyError(`${at}: unknown op`);
  const [min, max] = operandRange(node.op);
  if (node.inputs.length < min || node.inputs.length > max) {
    throw new VerifyError(`${at}: takes ${min === max ? min : `${min} to ${max}`} operands, has ${node.inputs.length}`);
  }
  node.inputs.forEach((v, i) => {
    if (!defined.has(v)) throw new VerifyError(`${at}: operand ${i} is not defined before its use`);
  });
  const specs = OPS[node.op].attrs as Record<string, AttrSpec>;
  const attrs = node.attrs as Record<string, unknown>;
  for (const k of Object.keys(attrs)) if (!Object.hasOwn(specs, k)) throw new VerifyError(`${at}: unknown attribute "${k}"`);
  for (const [k, spec] of Object.entries(specs)) {
    try {
      checkAttr(node.op, k, spec, attrs[k]);
    } catch (e) {
      throw new VerifyError(`${at}: ${(e as Error).message}`);
    }
  }
  let inferred;
  try {
    inferred = OPS[node.op].infer(node.inputs.map((v) => v.type), node.attrs as never);
  } catch (e) {
    throw new VerifyError(`${at}: ${(e as Error).message}`);
  }
  const recorded = node.outputs.map((v) => v.type);
  if (inferred.length !== recorded.length || !inferred.every((t, i) => typesEqual(t, recorded[i]))) {
    throw new VerifyError(`${at}: results are ${recorded.map(formatType).join(', ')} but the rule gives ${inferred.map(formatType).join(', ')}`);
  }
  node.outputs.forEach((v, i) => {
    if (v.def.kind !== 'node' || v.def.node !== node || v.def.index !== i) throw new VerifyError(`${at}: result ${i} does not point back at its node`);
    if (defined.has(v)) throw new VerifyError(`${at}: result ${i} is defined twice`);
    defined.add(v);
  });
}

function checkUnique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new VerifyError(`${what} "${n}" is declared twice`);
    seen.add(n);
  }
}

/** Throw a VerifyError naming the first broken invariant; return quietly when the graph is sound. */
export function verifyGraph(g: Graph): void {
  checkUnique([...g.inputs, ...g.params].map((v) => v.name ?? ''), 'input or parameter');
  checkUnique(g.outputs.map((o) => o.name), 'output');
  const defined = new Set<Value>([...g.inputs, ...g.params]);
  g.nodes.forEach((n, i) => checkNode(n, i, defined));
  for (const o of g.outputs) {
    if (!defined.has(o.value)) throw new VerifyError(`output "${o.name}" is not defined in the graph`);
  }
}
