// Input values of generated graphs. Each input gets a profile: `edge` mixes ±0, NaN, ±inf, ±1e4,
// huge (1e30, 3e38), tiny (1e-30) and subnormal (1e-40) values with ordinary ones; `nonfinite` has
// NaN and ±inf but only small finite values (so sums stay order-independent); `plain` and
// `positive` are ordinary; `mask` is 0 or -inf (additive attention masks); `index` holds valid
// gather indices. The profile fixes the value's facts (facts.ts).

import { type DType, type Tensor, f32ToF16Bits, tensor } from '@smelt/ir';
import type { Facts } from './facts.ts';
import { Rng } from './rng.ts';

export type Profile = 'edge' | 'nonfinite' | 'plain' | 'positive' | 'mask' | 'ints' | 'bools' | 'bytes' | { readonly index: number };

const EDGE = [NaN, Infinity, -Infinity, 0, -0, 1e4, -1e4, 1e30, -3e38, 1e-30, -1e-40, 1, -1, 0.5];
const NONFINITE = [NaN, Infinity, -Infinity, 0, -0];

export function profileFacts(p: Profile): Facts {
  if (typeof p === 'object') return { mag: p.index, special: false, exact: true };
  switch (p) {
    case 'edge': return { mag: Infinity, special: true, exact: true };
    case 'nonfinite': return { mag: 3, special: true, exact: true };
    case 'plain': return { mag: 2, special: false, exact: true };
    case 'positive': return { mag: 9, special: false, exact: true };
    case 'mask': return { mag: 0, special: true, exact: true };
    case 'ints': return { mag: 9, special: false, exact: true };
    case 'bools': return { mag: 1, special: false, exact: true };
    case 'bytes': return { mag: 255, special: false, exact: true };
    default: return p satisfies never;
  }
}

/** The profiles an input of `dtype` may take. */
export function profilesFor(dtype: DType): readonly Profile[] {
  switch (dtype) {
    case 'f32': case 'f16': return ['edge', 'nonfinite', 'plain', 'plain', 'positive'];
    case 'i32': case 'i64': return ['ints'];
    case 'bool': return ['bools'];
    case 'u8': return ['bytes'];
    default: return dtype satisfies never;
  }
}

function sample(p: Profile, rng: Rng): number {
  if (typeof p === 'object') return rng.int(0, p.index - 1);
  switch (p) {
    case 'edge': return rng.chance(0.5) ? rng.pick(EDGE) : rng.next() * 6 - 3;
    case 'nonfinite': return rng.chance(0.3) ? rng.pick(NONFINITE) : rng.next() * 6 - 3;
    case 'plain': return rng.next() * 4 - 2;
    case 'positive': return 0.01 + rng.next() * 8.99;
    case 'mask': return rng.chance(0.3) ? -Infinity : 0;
    case 'ints': return rng.int(-9, 9);
    case 'bools': return rng.int(0, 1);
    case 'bytes': return rng.int(0, 255);
    default: return p satisfies never;
  }
}

/** A tensor of `dtype` and `shape` with values of profile `p` from `seed`. */
export function makeTensor(dtype: DType, shape: readonly number[], p: Profile, seed: number): Tensor {
  const rng = new Rng(seed);
  const t = tensor(dtype, shape);
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    const v = sample(p, rng);
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else if (dtype === 'f16') (data as Uint16Array)[i] = f32ToF16Bits(v);
    else (data as Float32Array)[i] = v;
  }
  return t;
}
