// ONNX model → smelt graph and weights. Decode (decode.ts), check the opset, declare inputs with
// symbolic dims from dim_param, take initializers as weights, convert nodes in order (ops/), and
// declare the outputs. Values known at import (shape arithmetic) never reach the graph; every
// other node becomes the smelt ops the DSL would write. Any failure is an OnnxError naming the
// file and the node; the caller gets a graph or nothing.

import { type Dim, GraphBuilder, type Graph, type Tensor, Var, verifyGraph } from '@smelt/ir';
import { ImportState, NodeContext, onnxTensorVal } from './context.ts';
import { type OnnxModel, type OnnxNode, decodeModel } from './decode.ts';
import { symbolFor } from './dims.ts';
import { OnnxError, OnnxFormatError, OnnxUnsupportedError, describeNode } from './errors.ts';
import { ONNX_OPS, SUPPORTED_OPS } from './ops/index.ts';
import { type ExternalData, smeltDType } from './tensors.ts';

export const MIN_OPSET = 13;
export const MAX_OPSET = 18;

export interface ImportOptions {
  /** Names the model in messages (a file path); default '<buffer>'. */
  readonly file?: string;
  /** Reads external data files by their location relative to the model. */
  readonly externalData?: ExternalData;
  /** The graph's name; default the ONNX graph's name, else 'model'. */
  readonly name?: string;
}

export interface ImportedModel {
  readonly graph: Graph;
  /** The initializers the graph reads, by ONNX name (its parameter names). */
  readonly weights: Map<string, Tensor>;
  readonly opset: number;
  readonly producer: string;
}

export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  const file = options.file ?? '<buffer>';
  const model = decodeModel(bytes, file);
  try {
    return build(model, options);
  } catch (e) {
    if (e instanceof OnnxError) throw new (e.constructor as typeof OnnxError)(`${file}: ${e.message}`, { cause: e });
    // Anything else (an allocation a corrupted size asks for, a graph check) is still about this file.
    throw new OnnxFormatError(`${file}: ${(e as Error).message}`, { cause: e });
  }
}

function checkOpset(model: OnnxModel): number {
  const opset = model.opsets.get('');
  if (opset === undefined) throw new OnnxFormatError('the model imports no opset of the default domain (ai.onnx)');
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxUnsupportedError(`opset ${opset} of ai.onnx is not supported (supported: ${MIN_OPSET} to ${MAX_OPSET}; re-export with opset_version=${opset < MIN_OPSET ? MIN_OPSET : MAX_OPSET})`);
  }
  return opset;
}

function build(model: OnnxModel, options: ImportOptions): ImportedModel {
  const opset = checkOpset(model);
  const g = model.graph;
  const b = new GraphBuilder(options.name ?? (g.name || 'model'));
  const state = new ImportState(b, options.externalData, convertNode);
  for (const t of g.initializers) {
    if (!t.name) throw new OnnxFormatError('an initializer has no name');
    state.values.set(t.name, onnxTensorVal(t, t.name, `initializer ${JSON.stringify(t.name)}`, options.externalData));
  }
  for (const info of g.inputs) {
    if (state.values.has(info.name)) continue; // IR < 4 lists initializers as inputs too
    if (info.elemType === undefined || !info.shape) throw new OnnxUnsupportedError(`graph input ${JSON.stringify(info.name)} has no tensor type or no shape (its rank must be known)`);
    const dtype = smeltDType(info.elemType, `graph input ${JSON.stringify(info.name)}`);
    const shape: Dim[] = info.shape.map((d, axis) => ('value' in d && d.value >= 0 ? d.value : symbolFor('param' in d ? d.param : undefined, info.name, axis)));
    state.values.set(info.name, { kind: 'var', v: new Var(b, b.input(info.name, dtype, shape)) });
  }
  for (const node of g.nodes) convertNode(state, node, node.domain === '' || node.domain === 'ai.onnx' ? opset : model.opsets.get(node.domain) ?? 0);
  for (const o of g.outputs) {
    const v = state.values.get(o.name);
    if (!v) throw new OnnxFormatError(`graph output ${JSON.stringify(o.name)} is not produced by any node, input or initializer`);
    if (v.kind === 'sequence') throw new OnnxUnsupportedError(`graph output ${JSON.stringify(o.name)} is a sequence (smelt's outputs are tensors)`);
    const ctx = new NodeContext(state, { name: o.name, opType: 'output', domain: '', inputs: [], outputs: [], attributes: [] }, opset);
    b.output(o.name, ctx.toVar(v, `graph output ${JSON.stringify(o.name)}`).value);
  }
  verifyGraph(b.graph);
  return { graph: b.graph, weights: state.weights, opset, producer: model.producer };
}

function convertNode(state: ImportState, node: OnnxNode, opset: number): void {
  const ctx = new NodeContext(state, node, opset);
  const inDefault = node.domain === '' || node.domain === 'ai.onnx';
  const convert = inDefault ? ONNX_OPS[node.opType] : undefined;
  if (!convert || !Object.prototype.hasOwnProperty.call(ONNX_OPS, node.opType)) {
    throw new OnnxUnsupportedError(`${describeNode(ctx.ref)}: op ${node.opType} is not supported (supported, domain ai.onnx: ${SUPPORTED_OPS.join(', ')})`);
  }
  let outs;
  try {
    outs = convert(ctx);
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    throw new OnnxFormatError(`${describeNode(ctx.ref)}: ${(e as Error).message}`, { cause: e });
  }
  node.outputs.forEach((name, i) => {
    if (name === '') return;
    if (i >= outs.length) ctx.unsupported(`output ${i} (${JSON.stringify(name)}) is not supported`);
    state.values.set(name, outs[i]);
  });
}
