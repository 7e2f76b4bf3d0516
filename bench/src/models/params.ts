// Weights for the peers' own model code, prepared once on the host from the shared safetensors
// file: Linear weights transposed to [in, out] (so every library runs a plain x·W), the packed
// attention in_proj split into q, k and v, and the positional table of seq2seq added as "pe".

import type { Tensor } from '@smelt/ir';
import type { TensorLib } from './tensor-lib.ts';

export type HostParams = Map<string, { readonly data: Float32Array; readonly shape: readonly number[] }>;

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same) (docs/FORMATS.md). */
export function positionalTable(maxLen: number, d: number): Float32Array {
  const pe = new Float32Array(maxLen * d);
  for (let p = 0; p < maxLen; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = p * Math.exp((-2 * i * Math.log(10000)) / d);
      pe[p * d + 2 * i] = Math.sin(angle);
      pe[p * d + 2 * i + 1] = Math.cos(angle);
    }
  }
  return pe;
}

function isLinearWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !name.endsWith('_embed.weight');
}

/** Host-side weights in the layout the model code of models/transformer.ts reads. */
export function hostParams(weights: ReadonlyMap<string, Tensor>, pe?: { maxLen: number; dModel: number }): HostParams {
  const out: HostParams = new Map();
  for (const [name, t] of weights) {
    const data = t.data as Float32Array;
    if (name.endsWith('in_proj_weight')) {
      const [three, d] = t.shape;
      const base = name.slice(0, -'in_proj_weight'.length);
      ['q', 'k', 'v'].forEach((x, i) => out.set(`${base}${x}_proj.weight`, { data: transpose(data.subarray(i * d * d, (i + 1) * d * d), d, d), shape: [d, d] }));
      if (three !== 3 * d) throw new Error(`${name}: expected [3d, d], got [${t.shape.join(', ')}]`);
    } else if (name.endsWith('in_proj_bias')) {
      const d = t.shape[0] / 3;
      const base = name.slice(0, -'in_proj_bias'.length);
      ['q', 'k', 'v'].forEach((x, i) => out.set(`${base}${x}_proj.bias`, { data: data.slice(i * d, (i + 1) * d), shape: [d] }));
    } else if (isLinearWeight(name, t.shape)) {
      const [o, i] = t.shape;
      out.set(name, { data: transpose(data, o, i), shape: [i, o] });
    } else {
      out.set(name, { data, shape: t.shape });
    }
  }
  if (pe) out.set('pe', { data: positionalTable(pe.maxLen, pe.dModel), shape: [pe.maxLen, pe.dModel] });
  return out;
}

/** The weights on the library's device, handed out one use at a time. */
export class Params<T> {
  private readonly arrays = new Map<string, T>();

  constructor(private readonly lib: TensorLib<T>, host: HostParams) {
    for (const [name, h] of host) this.arrays.set(name, lib.fromF32(h.data, h.shape));
  }

  /** A handle for one use of the weight. */
  get(name: string): T {
    const x = this.arrays.get(name);
    if (x === undefined) throw new Error(`missing weight "${name}"`);
    return this.lib.keep(x);
  }

  dispose(): void {
    for (const x of this.arrays.values()) this.lib.dispose(x);
    this.arrays.clear();
  }
}
