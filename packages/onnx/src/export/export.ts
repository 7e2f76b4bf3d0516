// smelt graph + weights → ONNX ModelProto bytes (opset 17, IR version 8: what ONNX 1.12's checker
// and ONNX Runtime take). Every op kind has a lowering rule (OP_LOWERINGS, a mapped type over the op
// table: tsc rejects a kind without one); the elementwise ops go through their expression (expr.ts).
// Names: graph inputs, outputs and initializers keep the model's own (parameters by their dotted
// names), other values are named as the textual IR prints them (`%12`), so Netron and
// `smelt inspect` show the same names. Symbolic dims are dim_param (a computed dim's text, such as
// `past + 1`, is its dim_param). Dtypes are kept: i32 token ids stay int32 inputs.

import {
  type ExprNodeKind, type ExprOpDef, type Graph, type Node, NODE_EXPR_KINDS, type OpKind, OPS, type Tensor, type Value,
  formatDims, shapesEqual,
} from '@smelt/ir';
import { modelProtoType } from '../decode.ts';
import { OnnxError, OnnxExportError } from '../errors.ts';
import { lowerExpr } from './expr.ts';
import type { Lowering, LoweringTable } from './lowering.ts';
import { CORE_LOWERINGS } from './ops-core.ts';
import { FUSED_LOWERINGS } from './ops-fused.ts';
import { type ProtoObject, valueInfo } from './proto.ts';
import { OnnxWriter } from './writer.ts';

/** The ONNX opset the exporter writes (LayerNormalization is standard from 17), and the IR version of ONNX 1.12. */
export const EXPORT_OPSET = 17;
export const EXPORT_IR_VERSION = 8;

/** An elementwise op: its expression over its operands, written by the expression rules. */
const viaExpr: Lowering<ExprNodeKind> = ({ w, op, attrs, ins, outs, inTypes }) => {
  const e = (OPS[op] as ExprOpDef<ExprNodeKind>).expr(attrs, ins.map((_, i) => ({ k: 'in', i })));
  lowerExpr(w, e, ins, inTypes.map((t) => t.dtype), outs[0]);
};

const EXPR_LOWERINGS = Object.fromEntries([...NODE_EXPR_KINDS, 'gelu', 'cast', 'fused_elementwise'].map((k) => [k, viaExpr])) as LoweringTable<ExprNodeKind>;

/** Every op kind's rule. */
export const OP_LOWERINGS: LoweringTable<OpKind> = { ...EXPR_LOWERINGS, ...CORE_LOWERINGS, ...FUSED_LOWERINGS };

export interface ExportOptions {
  /** Written as the model's doc_string. */
  readonly docString?: string;
}

/** ONNX names for the graph's values: inputs, params and outputs by their names, the rest as the IR prints them. */
function nameValues(g: Graph, w: OnnxWriter): Map<Value, string> {
  const names = new Map<Value, string>();
  for (const v of [...g.inputs, ...g.params]) {
    if (!w.claim(v.name!)) throw new OnnxExportError(`two graph inputs or parameters are named ${JSON.stringify(v.name)}`);
    names.set(v, v.name!);
  }
  for (const o of g.outputs) {
    if (names.has(o.value) && names.get(o.value) === o.name) continue; // an input passed through: ONNX names it once
    if (!w.claim(o.name)) throw new OnnxExportError(`graph output ${JSON.stringify(o.name)} has the name of another output, input or parameter (ONNX names every value once)`);
    const made = o.value.def.kind === 'node' && o.value.def.node.op !== 'constant';
    if (made && !names.has(o.value)) names.set(o.value, o.name);
  }
  let next = 0;
  for (const n of g.nodes) for (const v of n.outputs) if (!names.has(v)) names.set(v, w.fresh(`%${next++}`));
  return names;
}

function lowerNode(w: OnnxWriter, n: Node, names: Map<Value, string>): void {
  const rule = OP_LOWERINGS[n.op] as Lowering<OpKind>;
  rule({
    w, op: n.op, attrs: n.attrs, ins: n.inputs.map((v) => names.get(v)!), outs: n.outputs.map((v) => names.get(v)!),
    inTypes: n.inputs.map((v) => v.type), outTypes: n.outputs.map((v) => v.type),
  });
}

function describe(n: Node, names: Map<Value, string>): string {
  return `node ${n.outputs.map((v) => names.get(v)).join(', ')} (op ${n.op}${n.loc ? `, built at ${n.loc}` : ''})`;
}

function initializers(g: Graph, weights: ReadonlyMap<string, Tensor>, w: OnnxWriter): void {
  for (const p of g.params) {
    const t = weights.get(p.name!);
    if (!t) throw new OnnxExportError(`parameter ${JSON.stringify(p.name)} has no weight`);
    if (t.dtype !== p.type.dtype || !shapesEqual(t.shape, p.type.shape)) {
      throw new OnnxExportError(`weight ${JSON.stringify(p.name)} is ${t.dtype}${formatDims(t.shape)}, the graph's parameter is ${p.type.dtype}${formatDims(p.type.shape)}`);
    }
    w.initializer(p.name!, t);
  }
}

/** The ModelProto of a graph and its weights, encoded. Errors (OnnxExportError) name the node and op. */
export function exportOnnx(g: Graph, weights: ReadonlyMap<string, Tensor>, options: ExportOptions = {}): Uint8Array {
  const w = new OnnxWriter(g);
  const names = nameValues(g, w);
  initializers(g, weights, w);
  for (const n of g.nodes) {
    w.scope = names.get(n.outputs[0]) ?? n.op;
    try {
      lowerNode(w, n, names);
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      throw new OnnxExportError(`${describe(n, names)}: ONNX export does not support it: ${(e as Error).message}`, { cause: e });
    }
  }
  w.scope = 'output';
  for (const o of g.outputs) if (names.get(o.value) !== o.name) w.node('Identity', [names.get(o.value)!], {}, o.name);
  const graph: ProtoObject = {
    name: g.name, node: w.nodes, initializer: w.initializers,
    input: g.inputs.map((v) => valueInfo(v.name!, v.type)),
    output: g.outputs.map((o) => valueInfo(o.name, o.value.type)),
  };
  const model: ProtoObject = {
    ir_version: EXPORT_IR_VERSION, opset_import: [{ domain: '', version: EXPORT_OPSET }],
    producer_name: 'smelt', producer_version: '0.1.0', graph, ...(options.docString ? { doc_string: options.docString } : {}),
  };
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}
