// Element types of the IR and the typed arrays that hold them at run time.
// f16 and i64 are storage types: they load, convert and print exactly, but arithmetic
// runs in f32 / i32 after a cast (the interpreter rejects math on them directly).

export const DTYPES = ['f32', 'f16', 'i32', 'i64', 'u8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

/** The typed array each dtype lives in. f16 keeps raw IEEE half bits; bool is 0/1 bytes. */
export interface DTypeArrays {
  f32: Float32Array;
  f16: Uint16Array;
  i32: Int32Array;
  i64: BigInt64Array;
  u8: Uint8Array;
  bool: Uint8Array;
}
export type TypedArrayOf<D extends DType> = DTypeArrays[D];
export type AnyTypedArray = DTypeArrays[DType];

export const BYTES_PER_ELEMENT: { readonly [D in DType]: number } = {
  f32: 4, f16: 2, i32: 4, i64: 8, u8: 1, bool: 1,
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function isFloat(d: DType): boolean {
  return d === 'f32' || d === 'f16';
}

export function isInteger(d: DType): boolean {
  return d === 'i32' || d === 'i64' || d === 'u8';
}

export function allocArray<D extends DType>(dtype: D, size: number): TypedArrayOf<D> {
  switch (dtype) {
    case 'f32': return new Float32Array(size) as TypedArrayOf<D>;
    case 'f16': return new Uint16Array(size) as TypedArrayOf<D>;
    case 'i32': return new Int32Array(size) as TypedArrayOf<D>;
    case 'i64': return new BigInt64Array(size) as TypedArrayOf<D>;
    case 'u8': return new Uint8Array(size) as TypedArrayOf<D>;
    case 'bool': return new Uint8Array(size) as TypedArrayOf<D>;
    default: return dtype satisfies never;
  }
}

// ---- half-precision conversion (round to nearest even) ----

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function f32ToF16Bits(value: number): number {
  f32Buf[0] = value;
  const x = u32Buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function bf16BitsToF32(b: number): number {
  u32Buf[0] = b << 16;
  return f32Buf[0];
}

export function f32ToBf16Bits(value: number): number {
  f32Buf[0] = value;
  const x = u32Buf[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
