// Runtime harness of emitted JS modules: checking named inputs (input-check.ts, as on every
// backend) and weights against the model's declared types, copying outputs out of the arena,
// caching one arena layout per set of symbol values, and a small safetensors reader so an exported
// module loads its weights with nothing else installed.

import { type ComputedDimData, computeDims } from '../../render/computed-dims.ts';
import { type InputContractData, checkInputs, inputOf } from '../../input-check.ts';
import type { Elements } from './movement.ts';

export type DTypeName = 'f32' | 'f16' | 'i32' | 'i64' | 'u8' | 'bool';

export interface TensorSpec {
  readonly name: string;
  readonly dtype: DTypeName;
  readonly shape: readonly (number | string)[];
}

/** What a module declares about itself (exported as MODEL). */
export interface ModelSpec {
  readonly name: string;
  /** Symbols bound from input shapes, in the order `layout` takes their values. */
  readonly symbols: readonly string[];
  /** How each computed dim among `symbols` follows from the bound ones. */
  readonly computed: readonly ComputedDimData[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly weights: readonly TensorSpec[];
  /** Constants of the graph too large to write into the module: they load with the weights. */
  readonly constants: readonly TensorSpec[];
  /** What the inputs must satisfy, checked before each run. */
  readonly contract: InputContractData;
}

export interface HostTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Elements;
}

export type TensorsIn = ReadonlyMap<string, HostTensor> | { readonly [name: string]: HostTensor };

const ARRAY_OF: { readonly [D in DTypeName]: { new (n: number): Elements; readonly name: string } } = {
  f32: Float32Array, f16: Uint16Array, i32: Int32Array, i64: BigInt64Array, u8: Uint8Array, bool: Uint8Array,
};

export function allocate(dtype: DTypeName, n: number): Elements {
  return new ARRAY_OF[dtype](n);
}

function lookup(m: TensorsIn, name: string): HostTensor | undefined {
  if (m instanceof Map) return m.get(name);
  const r = m as { readonly [name: string]: HostTensor };
  return Object.prototype.hasOwnProperty.call(r, name) ? r[name] : undefined;
}

const dims = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/** The tensor named by `spec`, checked; symbols bind into `env` (a conflicting value is an error). */
function bindTensor(kind: string, spec: TensorSpec, m: TensorsIn, env: Map<string, number>): Elements {
  const name = JSON.stringify(spec.name);
  const t = lookup(m, spec.name);
  if (t === undefined || t === null) throw new Error(`missing ${kind} ${name}: expected ${spec.dtype}${dims(spec.shape)}`);
  if (t.dtype !== spec.dtype) throw new Error(`${kind} ${name}: expected dtype ${spec.dtype}, got ${t.dtype} ${dims(t.shape)}`);
  const fail = (why: string): never => {
    throw new Error(`${kind} ${name}: expected shape ${dims(spec.shape)}, got ${dims(t.shape)}${why}`);
  };
  if (t.shape.length !== spec.shape.length) fail('');
  spec.shape.forEach((d, i) => {
    const got = t.shape[i];
    if (typeof d === 'number') {
      if (d !== got) fail('');
    } else {
      const prev = env.get(d);
      if (prev === undefined) env.set(d, got);
      else if (prev !== got) fail(` (${d} is already ${prev})`);
    }
  });
  const want = ARRAY_OF[spec.dtype];
  let n = 1;
  for (const d of t.shape) n *= d;
  if (!(t.data instanceof want) || t.data.length !== n) {
    throw new Error(`${kind} ${name}: data must be a ${want.name} of ${n} elements, got ${t.data?.constructor?.name} of ${t.data?.length}`);
  }
  return t.data;
}

/** Check the inputs; returns their data in declaration order and the symbol values (computed dims too) in `model.symbols` order. */
export function bindInputs(model: ModelSpec, inputs: TensorsIn): { data: Elements[]; values: number[] } {
  const env = checkInputs(model.contract, inputs);
  computeDims(env, model.symbols, model.computed);
  return { data: model.inputs.map((s) => inputOf(inputs, s.name)!.data as Elements), values: model.symbols.map((s) => env.get(s)!) };
}

export function bindWeight(spec: TensorSpec, weights: TensorsIn): Elements {
  return bindTensor('weight', spec, weights, new Map());
}

/** A copy of an arena view as an output tensor. */
export function copyOut(dtype: DTypeName, shape: number[], view: Elements): HostTensor {
  return { dtype, shape, data: view.slice() };
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** The value cached under `key`, made on first use; at most `limit` entries, the oldest dropped first. */
export function cached<T>(cache: Map<string, T>, key: string, limit: number, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = make();
    if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
    cache.set(key, v);
  }
  return v;
}

const SAFETENSORS_DTYPES: { readonly [k: string]: DTypeName } = { F32: 'f32', F16: 'f16', I32: 'i32', I64: 'i64', U8: 'u8', BOOL: 'bool' };

/** Parse a safetensors file (little-endian host): every tensor is copied into its own typed array. */
export function readSafetensors(bytes: Uint8Array): Map<string, HostTensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, HostTensor>();
  for (const name of Object.keys(header)) {
    if (name === '__metadata__') continue;
    const e = header[name];
    const dtype = SAFETENSORS_DTYPES[e.dtype];
    if (dtype === undefined) throw new Error(`safetensors: tensor ${JSON.stringify(name)} has unsupported dtype ${e.dtype}`);
    const [from, to] = e.data_offsets;
    const copy = bytes.slice(8 + headerLen + from, 8 + headerLen + to);
    const Ctor = ARRAY_OF[dtype] as unknown as new (b: ArrayBuffer) => Elements;
    out.set(name, { dtype, shape: e.shape, data: new Ctor(copy.buffer) });
  }
  return out;
}

/** The bytes of a file (Node) or URL (fetch). */
export async function readBytes(source: string | URL): Promise<Uint8Array> {
  const href = typeof source === 'string' ? source : source.href;
  if (/^(https?|blob|data):/.test(href)) return new Uint8Array(await (await fetch(href)).arrayBuffer());
  const fs = (await import('node:fs/promises' as string)) as { readFile(p: string | URL): Promise<Uint8Array> };
  return new Uint8Array(await fs.readFile(source));
}
