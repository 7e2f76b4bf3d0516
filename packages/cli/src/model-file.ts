// The model doors of `--model PATH`: a user's own model as a graph and its weights, from
//   .onnx              an ONNX model (@smelt/onnx; weights are its initializers, external data beside it)
//   .smelt             smelt's IR text
//   .json              smelt's graph JSON
//   .ts .mts .js .mjs  a module whose default export builds the graph with the DSL (docs/FORMATS.md)
// For all but .onnx the weights come from --weights, else a sibling `<name>.safetensors`, else
// `weights.safetensors` in the same folder (what `smelt import` writes); a graph without parameters
// needs none. Inputs are read by the model's own input names.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Graph, GraphBuilder, type Tensor, castTensor, formatDims, graphFromJSON, parseGraph } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { ModelIOError } from '@smelt/models';
import { UsageError, type ParsedFlags } from './args.ts';
import { onnxNode } from './onnx-entry.ts';

export const MODEL_KINDS = { '.onnx': 'ONNX', '.smelt': 'IR text', '.json': 'graph JSON', '.ts': 'DSL module', '.mts': 'DSL module', '.js': 'DSL module', '.mjs': 'DSL module' } as const;

export const MODEL_HELP = `the model: .onnx, .smelt (IR text), .json (graph JSON) or a .ts/.js DSL module (docs/FORMATS.md); instead of --config`;

export interface ModelSource {
  readonly graph: Graph;
  /** undefined when no weights file was found and the graph has parameters. */
  readonly weights: Map<string, Tensor> | undefined;
  /** Where the weights came from, for messages. */
  readonly weightsFrom: string | undefined;
}

/** --config or --model, exactly one. */
export function modelFlag(flags: ParsedFlags): string | undefined {
  if (flags.config !== undefined && flags.model !== undefined) throw new UsageError('give --config or --model, not both');
  if (flags.config === undefined && flags.model === undefined) throw new UsageError('missing required option --config (or --model)');
  return flags.model as string | undefined;
}

/** The model's graph and weights; `weights: false` skips reading a weights file (inspect needs the graph only). */
export async function loadModel(file: string, weightsFile: string | undefined, opts: { weights?: boolean } = {}): Promise<ModelSource> {
  const ext = path.extname(file).toLowerCase();
  if (!(ext in MODEL_KINDS)) {
    throw new UsageError(`--model ${file}: unknown model format "${ext || '(no extension)'}" (known: ${Object.keys(MODEL_KINDS).join(', ')})`);
  }
  if (!fs.existsSync(file)) throw new ModelIOError(`--model ${file}: no such file`);
  if (ext === '.onnx') {
    if (weightsFile !== undefined) throw new UsageError('--weights does not apply to an .onnx model: its weights are in the file');
    const { readOnnx } = await onnxNode();
    const m = readOnnx(file, { name: graphName(file) });
    return { graph: m.graph, weights: m.weights, weightsFrom: file };
  }
  const graph = ext === '.smelt' ? parseText(file) : ext === '.json' ? parseJson(file) : await buildModule(file);
  const found = opts.weights === false ? undefined : weightsFile ?? siblingWeights(file);
  if (!found) return { graph, weights: graph.params.length === 0 ? new Map() : undefined, weightsFrom: undefined };
  return { graph, weights: readGraphWeights(found, graph), weightsFrom: found };
}

function graphName(file: string): string {
  const base = path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(base) ? base : `model_${base}`;
}

function withFile<T>(file: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ModelIOError(`${file}: not a valid ${what}: ${(e as Error).message}`, { cause: e });
  }
}

const parseText = (file: string) => withFile(file, 'smelt IR text', () => parseGraph(fs.readFileSync(file, 'utf8')));
const parseJson = (file: string) => withFile(file, 'smelt graph JSON', () => graphFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))));

/** A DSL module: its default export is a Graph, a GraphBuilder, or a function returning (a promise of) one. */
async function buildModule(file: string): Promise<Graph> {
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(path.resolve(file)).href);
  } catch (e) {
    throw new ModelIOError(`${file}: cannot load the module: ${(e as Error).message}`, { cause: e });
  }
  let made = mod.default;
  if (typeof made === 'function') made = await (made as () => unknown)();
  if (made instanceof GraphBuilder) return made.graph;
  if (made && typeof made === 'object' && 'nodes' in made && 'inputs' in made && 'outputs' in made) return made as Graph;
  throw new ModelIOError(`${file}: the default export must be a Graph, a GraphBuilder, or a function returning one (got ${made === undefined ? 'no default export' : typeof made})`);
}

function siblingWeights(file: string): string | undefined {
  const own = path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.safetensors`);
  const shared = path.join(path.dirname(file), 'weights.safetensors');
  return [own, shared].find((f) => fs.existsSync(f));
}

/** The graph's parameters from a safetensors file: each present with its shape; floats widen to f32. */
export function readGraphWeights(file: string, graph: Graph): Map<string, Tensor> {
  const all = readSafetensors(file);
  const base = path.basename(file);
  const out = new Map<string, Tensor>();
  for (const p of graph.params) {
    const name = p.name!;
    const t = all.get(name);
    const want = `${p.type.dtype} ${formatDims(p.type.shape)}`;
    if (!t) throw new ModelIOError(`${base}: missing weight "${name}" (expected ${want})`);
    if (formatDims(t.shape) !== formatDims(p.type.shape)) throw new ModelIOError(`${base}: weight "${name}" has shape ${formatDims(t.shape)}, expected ${formatDims(p.type.shape)}`);
    out.set(name, convert(t, p.type.dtype, `${base}: weight "${name}"`));
  }
  for (const name of all.keys()) if (!out.has(name)) throw new ModelIOError(`${base}: unexpected weight "${name}": the model has no such parameter`);
  return out;
}

/** A tensor in the dtype the graph declares: f16/bf16 → f32, i64 → i32 (range-checked), u8 → bool. */
function convert(t: Tensor, want: string, what: string): Tensor {
  if (t.dtype === want) return t;
  if (want === 'f32' && t.dtype === 'f16') return castTensor(t, 'f32');
  if (want === 'i32' && t.dtype === 'i64') {
    const data = t.data as BigInt64Array;
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < -2147483648n || v > 2147483647n) throw new ModelIOError(`${what}: value ${v} at index ${i} does not fit i32`);
      out[i] = Number(v);
    }
    return { dtype: 'i32', shape: t.shape, data: out };
  }
  if (want === 'bool' && t.dtype === 'u8') return { dtype: 'bool', shape: t.shape, data: (t.data as Uint8Array).map((x) => Number(x !== 0)) };
  throw new ModelIOError(`${what} is ${t.dtype}, expected ${want}`);
}

/** The model's inputs by its own names, converted to the dtypes it declares; shapes are checked by the backend. */
export function readModelInputs(file: string, graph: Graph): Map<string, Tensor> {
  const all = readSafetensors(file);
  const base = path.basename(file);
  const out = new Map<string, Tensor>();
  for (const v of graph.inputs) {
    const t = all.get(v.name!);
    if (!t) throw new ModelIOError(`${base}: missing input "${v.name}" (expected ${v.type.dtype} ${formatDims(v.type.shape)}; the model's inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
    out.set(v.name!, convert(t, v.type.dtype, `${base}: input "${v.name}"`));
  }
  for (const name of all.keys()) if (!out.has(name)) throw new ModelIOError(`${base}: unexpected input "${name}" (the model's inputs: ${graph.inputs.map((i) => i.name).join(', ')})`);
  return out;
}
