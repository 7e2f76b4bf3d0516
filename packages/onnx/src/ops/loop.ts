// Loop, unrolled at import: torch exports `repeat_interleave` over a dynamic size (Llama's repeat_kv)
// as a Loop over the items of a sequence. When the trip count is known at import and the condition
// stays known, each iteration converts the body's nodes in a scope of its own (the iteration number
// a static scalar, the carried values bound to the body's inputs), so the graph gets the unrolled
// ops. Scan outputs are stacked along a new first axis.

import type { NodeContext } from '../context.ts';
import { onnxTensorVal } from '../context.ts';
import { type Slot, type Val, shapeOfVal, staticOf } from '../values.ts';
import { reshaped } from './shape.ts';
import { joinValues } from './sequence.ts';
import type { Converter } from './types.ts';

/** The most iterations unrolled, over every Loop of an import (nested ones included): a corrupted trip count must not hang it. */
const MAX_ITERATIONS = 1024;
const unrolled = new WeakMap<object, number>();

/** One iteration: the body's outputs, given the iteration number, condition and carried values. */
function iterate(c: NodeContext, i: number, cond: boolean, carried: readonly Slot[]): Slot[] {
  const body = c.graphAttr('body')!;
  return c.state.inScope((scope) => {
    scope.set(body.inputs[0].name, staticOf('i32', [], [i]));
    scope.set(body.inputs[1].name, staticOf('bool', [], [Number(cond)]));
    carried.forEach((v, k) => scope.set(body.inputs[2 + k].name, v));
    for (const t of body.initializers) scope.set(t.name, onnxTensorVal(t, t.name, `body initializer ${JSON.stringify(t.name)}`, c.state.external));
    for (const node of body.nodes) c.state.convert(c.state, node, c.opset);
    return body.outputs.map((o) => scope.get(o.name) ?? c.malformed(`body output ${JSON.stringify(o.name)} is not produced by any body node or input`));
  });
}

/** The loop condition a body returned, which must be known at import. */
function condition(c: NodeContext, v: Slot): boolean {
  if (v.kind === 'static' && v.values.length === 1 && typeof v.values[0] === 'number') return v.values[0] !== 0;
  return c.unsupported('the loop condition must be known at import (a constant or computed from shapes), but it depends on tensor data');
}

const loopOp: Converter = (c) => {
  const body = c.graphAttr('body') ?? c.malformed('has no body graph');
  let carried: Slot[] = c.node.inputs.slice(2).map((_, k) => c.slot(k + 2));
  if (body.inputs.length !== 2 + carried.length) c.malformed(`the body takes ${body.inputs.length} inputs for ${carried.length} carried values (expected ${2 + carried.length})`);
  const nScan = body.outputs.length - 1 - carried.length;
  if (nScan < 0) c.malformed(`the body gives ${body.outputs.length} outputs for ${carried.length} carried values (expected at least ${1 + carried.length})`);
  const trips = c.has(0) ? c.ints(0, 'the trip count M')[0] : undefined;
  let cond = c.has(1) ? condition(c, c.input(1)) : true;
  const scans: Val[][] = Array.from({ length: nScan }, () => []);
  let i = 0;
  for (; cond && (trips === undefined || i < trips); i++) {
    const total = (unrolled.get(c.state) ?? 0) + 1;
    if (total > MAX_ITERATIONS) c.unsupported(`Loops of more than ${MAX_ITERATIONS} iterations in all are not unrolled at import`);
    unrolled.set(c.state, total);
    const outs = iterate(c, i, cond, carried);
    cond = condition(c, outs[0]);
    carried = outs.slice(1, 1 + carried.length);
    outs.slice(1 + carried.length).forEach((v, k) => {
      if (v.kind === 'sequence') c.unsupported(`scan output ${k} is a sequence`);
      else scans[k].push(v);
    });
  }
  if (nScan > 0 && i === 0) c.unsupported('scan outputs of a Loop that runs no iteration are not supported (their shape is unknown)');
  const stacked = scans.map((items) => joinValues(c, items.map((v) => reshaped(c, v, [1, ...shapeOfVal(v)])), 0));
  return [...carried, ...stacked];
};

export const CONTROL_OPS: Record<string, Converter> = { Loop: loopOp };
