// An .onnx file picked in the page, imported here with @smelt/onnx's browser entry (bytes in, graph
// and weights out; no file system). The importer and protobufjs load only when the first .onnx file
// does (a dynamic import: a chunk of its own), so the page's first load does not carry them. A model
// whose weights are in external data files reads them from the files picked with it, matched by the
// last part of each `location`; one that was not picked is an error naming it.

import type { Graph, Tensor } from '@smelt/ir';

export interface OnnxLoaded { readonly graph: Graph; readonly weights: Map<string, Tensor>; readonly note: string }

/** Imports `onnx`; `others` are the files picked with it (external data files among them). */
export async function loadOnnxFile(onnx: File, others: readonly File[]): Promise<OnnxLoaded> {
  const [{ importOnnx }, bytes, extra] = await Promise.all([
    import('@smelt/onnx'),
    onnx.arrayBuffer().then((b) => new Uint8Array(b)),
    Promise.all(others.map(async (f) => [f.name, new Uint8Array(await f.arrayBuffer())] as const)),
  ]);
  const picked = new Map(extra);
  const used = new Set<string>();
  const externalData = (location: string): Uint8Array => {
    const name = location.split(/[\\/]/).pop() ?? location;
    const data = picked.get(name);
    if (!data) {
      throw new Error(`its weights are in the external data file ${JSON.stringify(location)}, which was not picked: choose ${onnx.name} and ${name} together`);
    }
    used.add(name);
    return data;
  };
  const name = onnx.name.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_]/g, '_') || 'model';
  const m = importOnnx(bytes, { file: onnx.name, externalData, name });
  const from = used.size > 0 ? ` and ${[...used].join(', ')}` : '';
  return { graph: m.graph, weights: m.weights, note: `imported from ONNX (opset ${m.opset}${m.producer ? `, ${m.producer}` : ''}): weights from ${onnx.name}${from}` };
}
