// Whether a backend's output agrees with the interpreter's, by the fuzzer's tolerance rules
// (docs/FUZZING.md): integers, bools and bytes exactly; floats (f32, and f16 read as floats) equal
// when both are NaN, the same infinity, or within RTOL of the larger of 1, |expected| and the bound
// the generator proved for the value's magnitude (its facts: a sum of n terms of size m may round
// by n·m·eps whatever its result). The sign of zero is not compared.

import { type Tensor, f16BitsToF32 } from '@smelt/ir';

/** The f32 contract: relative 1e-4. */
export const RTOL = 1e-4;

function valuesOf(t: Tensor): number[] {
  if (t.dtype === 'f16') return Array.from(t.data as Uint16Array, f16BitsToF32);
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export function closeEnough(got: number, want: number, bound: number): boolean {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  if (got === want) return true;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return false;
  const scale = Math.max(1, Math.abs(want), Number.isFinite(bound) ? bound : 0);
  return Math.abs(got - want) <= RTOL * scale;
}

/** Undefined when `got` agrees with `want`; otherwise what differs, naming the first element. */
export function compareTensors(got: Tensor | undefined, want: Tensor, bound = Infinity): string | undefined {
  if (!got) return 'missing';
  if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) {
    return `type ${got.dtype}[${got.shape}], the interpreter gives ${want.dtype}[${want.shape}]`;
  }
  const [g, w] = [valuesOf(got), valuesOf(want)];
  const float = want.dtype === 'f32' || want.dtype === 'f16';
  for (let i = 0; i < w.length; i++) {
    const ok = float ? closeEnough(g[i], w[i], bound) : g[i] === w[i];
    if (!ok) return `element ${i} is ${g[i]}, the interpreter gives ${w[i]} (shape [${want.shape}]${Number.isFinite(bound) ? `, bound ${bound}` : ''})`;
  }
  return undefined;
}
