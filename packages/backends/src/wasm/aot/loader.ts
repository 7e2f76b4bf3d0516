// The files next to an exported model.wasm: model.js, a small ES module loader with no smelt
// import (Node reads files beside it, browsers fetch them; relaxed SIMD is used when the engine
// validates that build), and model.d.ts typing its inputs and outputs by name.

import type { DType } from '@smelt/ir';
import { commentText } from '../../render/c-like.ts';
import type { Manifest, TensorSpec } from './manifest.ts';

export const FILES = { plain: 'model.wasm', relaxed: 'model-relaxed.wasm', image: 'model.bin', loader: 'model.js', types: 'model.d.ts' } as const;

export function loaderSource(manifest: Manifest): string {
  return `// ${commentText(manifest.name)}: a model compiled by smelt to WebAssembly. Standalone: no smelt import.
// load() reads ${FILES.plain} (or ${FILES.relaxed} where the engine accepts relaxed SIMD) and the
// weights image ${FILES.image}; run() takes and returns { dtype, shape, data } tensors by name.

const MANIFEST = ${JSON.stringify(manifest)};
const FILES = ${JSON.stringify(FILES)};
const ARRAYS = { f32: Float32Array, f16: Uint16Array, i32: Int32Array, i64: BigInt64Array, u8: Uint8Array, bool: Uint8Array };
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const pages = (bytes) => Math.ceil(bytes / 65536);

async function read(name) {
  const url = new URL(name, import.meta.url);
  if (url.protocol === 'file:') return new Uint8Array(await (await import('node:fs/promises')).readFile(url));
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

async function accepts(bytes) {
  if (isNode) {
    try { (await import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* validate decides */ }
  }
  return WebAssembly.validate(bytes);
}

// Inputs come as a Map or a plain object; only own properties count (a name may be "__proto__").
const inputOf = (inputs, name) => (inputs instanceof Map ? inputs.get(name) : Object.hasOwn(inputs, name) ? inputs[name] : undefined);

function bindSymbols(inputs) {
  const env = new Map();
  for (const spec of MANIFEST.inputs) {
    const t = inputOf(inputs, spec.name);
    const want = spec.dtype + '[' + spec.shape.join(', ') + ']';
    if (!t) throw new Error('missing input ' + JSON.stringify(spec.name) + ': expected ' + want);
    if (t.dtype !== spec.dtype || t.shape.length !== spec.shape.length) throw new Error('input ' + JSON.stringify(spec.name) + ': expected ' + want + ', got ' + t.dtype + '[' + t.shape.join(', ') + ']');
    if (!(t.data instanceof ARRAYS[spec.dtype]) || t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
      throw new Error('input ' + JSON.stringify(spec.name) + ': data must be a ' + ARRAYS[spec.dtype].name + ' of ' + t.shape.reduce((a, b) => a * b, 1) + ' elements');
    }
    spec.shape.forEach((d, i) => {
      const got = t.shape[i];
      if (typeof d === 'number' ? d !== got : env.has(d) && env.get(d) !== got) throw new Error('input ' + JSON.stringify(spec.name) + ': expected ' + want + ', got [' + t.shape.join(', ') + ']');
      if (typeof d === 'string') env.set(d, got);
    });
  }
  return env;
}

export async function load() {
  const [plain, relaxed, image] = await Promise.all([read(FILES.plain), read(FILES.relaxed), read(FILES.image)]);
  const simd = (await accepts(relaxed)) ? 'relaxed' : 'plain';
  const memory = new WebAssembly.Memory({ initial: pages(MANIFEST.staticEnd), maximum: MANIFEST.maximumPages });
  const { instance } = await WebAssembly.instantiate(simd === 'relaxed' ? relaxed : plain, { env: { memory } });
  new Uint8Array(memory.buffer, MANIFEST.imageBase, image.length).set(image);
  const wasm = instance.exports;
  const address = (spec) => spec.address ?? new Int32Array(memory.buffer, spec.slot, 1)[0];
  return {
    simd,
    run(inputs) {
      const env = bindSymbols(inputs);
      const symbols = MANIFEST.symbols.map((s) => env.get(s));
      const end = wasm.layout(1, ...symbols);
      const grow = pages(end) - memory.buffer.byteLength / 65536;
      if (grow > 0) memory.grow(grow);
      for (const spec of MANIFEST.inputs) {
        const d = inputOf(inputs, spec.name).data;
        new Uint8Array(memory.buffer, address(spec), d.byteLength).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
      wasm.run(0, 1, ...symbols);
      const outputs = {};
      for (const spec of MANIFEST.outputs) {
        const shape = spec.shape.map((d) => (typeof d === 'number' ? d : env.get(d)));
        const data = new ARRAYS[spec.dtype](shape.reduce((a, b) => a * b, 1));
        new Uint8Array(data.buffer).set(new Uint8Array(memory.buffer, address(spec), data.byteLength));
        Object.defineProperty(outputs, spec.name, { value: { dtype: spec.dtype, shape, data }, enumerable: true, writable: true, configurable: true });
      }
      return outputs;
    },
  };
}
`;
}

const ARRAY_TYPES: { readonly [D in DType]: string } = {
  f32: 'Float32Array', f16: 'Uint16Array', i32: 'Int32Array', i64: 'BigInt64Array', u8: 'Uint8Array', bool: 'Uint8Array',
};

const field = (t: TensorSpec) => `  /** ${commentText(`${t.dtype}[${t.shape.join(', ')}]`)} */\n  readonly ${JSON.stringify(t.name)}: Tensor<${JSON.stringify(t.dtype)}>;`;

export function typesSource(manifest: Manifest): string {
  return `// Types of model.js (${commentText(manifest.name)}), generated by smelt.

export interface Arrays {
${Object.entries(ARRAY_TYPES).map(([d, a]) => `  ${d}: ${a};`).join('\n')}
}

export interface Tensor<D extends keyof Arrays = keyof Arrays> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: Arrays[D];
}

export interface Inputs {
${manifest.inputs.map(field).join('\n')}
}

export interface Outputs {
${manifest.outputs.map(field).join('\n')}
}

export interface Model {
  /** The build in use: relaxed SIMD where the engine accepts it. */
  readonly simd: 'plain' | 'relaxed';
  run(inputs: Inputs | ReadonlyMap<string, Tensor>): Outputs;
}

export declare function load(): Promise<Model>;
`;
}
