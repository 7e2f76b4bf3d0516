// Host arithmetic shared by the in-process executable and an exported model.js, which copies this
// file's text (so it imports nothing, and every declaration here is plain data or a pure
// function): workgroup grids as data, arena slot offsets, binding sizes, the symbol uniform,
// tensors to and from 32-bit GPU elements, and the check that the adapter has the features a build
// needs. (Inputs are checked by input-check.ts, which model.js inlines too.)


/** GPUBufferUsage flags, fixed by the spec (a model.js in Node has no such global). */
export const BUFFER_USAGE = { MAP_READ: 0x01, COPY_SRC: 0x04, COPY_DST: 0x08, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** GPUMapMode.READ and GPUShaderStage.COMPUTE. */
export const MAP_MODE_READ = 0x1;
export const STAGE_COMPUTE = 0x4;

export type Dim = number | string;
/** Symbol values by name. */
export type Symbols = ReadonlyMap<string, number>;
export type DTypeName = 'f32' | 'f16' | 'i32' | 'i64' | 'u8' | 'bool';
export type HostArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

/** `ceil(product(dims) / per)` workgroups along one axis. */
export interface GridAxis {
  readonly dims: readonly Dim[];
  readonly per: number;
}

/**
 * A workgroup grid as data, so hosts without smelt evaluate it: three axes, or one count folded
 * into x and y (x ≤ 65535, the flat index is `wg.y * nwg.x + wg.x`), empty when a dim of `emptyIf` is 0.
 */
export type GridSpec =
  | { readonly kind: 'xyz'; readonly axes: readonly [GridAxis, GridAxis, GridAxis] }
  | { readonly kind: 'folded'; readonly count: GridAxis; readonly emptyIf?: readonly Dim[] };

export function dimValue(d: Dim, env: Symbols): number {
  if (typeof d === 'number') return d;
  const v = env.get(d);
  if (v === undefined) throw new Error(`symbol ${d} is not bound`);
  return v;
}

export function dimsProduct(dims: readonly Dim[], env: Symbols): number {
  return dims.reduce<number>((p, d) => p * dimValue(d, env), 1);
}

const axisGroups = (a: GridAxis, env: Symbols) => Math.ceil(dimsProduct(a.dims, env) / a.per);

/** Workgroup counts (x, y, z) of a grid for these symbol values; a zero means no dispatch. */
export function gridSize(grid: GridSpec, env: Symbols): [number, number, number] {
  if (grid.kind === 'xyz') return [axisGroups(grid.axes[0], env), axisGroups(grid.axes[1], env), axisGroups(grid.axes[2], env)];
  const groups = grid.emptyIf?.some((d) => dimValue(d, env) === 0) ? 0 : axisGroups(grid.count, env);
  if (groups === 0) return [0, 1, 1];
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;
/** Bytes a binding of `bytes` occupies: never empty, a multiple of 16 (one vec4). */
export const bindingBytes = (bytes: number) => roundUp(Math.max(bytes, 16), 16);

/** Bytes of the symbol uniform (16-byte multiple): the symbols, then the zero kernels add to hide constants. */
export function uniformBytes(symbolCount: number): number {
  return Math.ceil(((symbolCount + 1) * 4) / 16) * 16;
}

/** The symbol uniform's words: each symbol's value in plan order, then the zero. */
export function uniformWords(symbols: readonly string[], env: Symbols): Uint32Array<ArrayBuffer> {
  return Uint32Array.from([...symbols.map((s) => env.get(s) ?? 0), 0]);
}

export interface SlotLayout {
  /** Bytes of the whole arena. */
  readonly size: number;
  /** Byte offset of each arena buffer. */
  readonly offsets: ReadonlyMap<number, number>;
}

/** Slot offsets for these symbol values: each slot as large as its largest buffer, aligned. */
export function slotOffsets(slots: readonly (readonly number[])[], bytes: (id: number) => number, alignment: number): SlotLayout {
  const offsets = new Map<number, number>();
  let at = 0;
  for (const slot of slots) {
    let size = 16;
    for (const id of slot) {
      size = Math.max(size, bytes(id));
      offsets.set(id, at);
    }
    at += roundUp(size, alignment);
  }
  return { size: at, offsets };
}

export interface TensorSpec {
  readonly name: string;
  readonly dtype: DTypeName;
  readonly shape: readonly Dim[];
}

/** Half-precision bits of an f32 value, rounded to nearest even (standalone: model.js has no smelt). */
export function f32ToHalfBits(value: number): number {
  const x = new Uint32Array(Float32Array.of(value).buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let shift = 13;
  let half = (e << 10) | (mant >> 13);
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    shift = 14 - e;
    half = mant >> shift;
  }
  const rem = mant & ((1 << shift) - 1);
  const mid = 1 << (shift - 1);
  if (rem > mid || (rem === mid && half & 1)) half++;
  return sign | half;
}

export function halfBitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A tensor's elements as the 32-bit array the GPU holds: f32 and i32 as they are, f16 widened to
 * f32, u8 and bool widened to u32, i64 narrowed to i32 (a value outside i32 is an error, never a wrap).
 */
export function toGpuElements(dtype: DTypeName, data: HostArray, what: string): Float32Array | Int32Array | Uint32Array {
  switch (dtype) {
    case 'f32': case 'i32': return data as Float32Array | Int32Array;
    case 'f16': return Float32Array.from(data as Uint16Array, halfBitsToF32);
    case 'u8': case 'bool': return Uint32Array.from(data as Uint8Array);
    case 'i64': {
      const src = data as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v < -2147483648n || v > 2147483647n) throw new Error(`${what}: i64 value ${v} at ${i} does not fit the i32 the GPU computes in`);
        out[i] = Number(v);
      }
      return out;
    }
    default: return dtype satisfies never;
  }
}

/** `n` elements of `dtype` from 32-bit GPU elements (a buffer the result may keep): toGpuElements reversed. */
export function fromGpuElements(dtype: DTypeName, bytes: ArrayBuffer, n: number): HostArray {
  switch (dtype) {
    case 'f32': return new Float32Array(bytes, 0, n);
    case 'i32': return new Int32Array(bytes, 0, n);
    case 'f16': return Uint16Array.from(new Float32Array(bytes, 0, n), f32ToHalfBits);
    case 'u8': case 'bool': return Uint8Array.from(new Uint32Array(bytes, 0, n));
    case 'i64': return BigInt64Array.from(new Int32Array(bytes, 0, n), (v) => BigInt(v));
    default: return dtype satisfies never;
  }
}

/** A readable name of an adapter for messages. */
export function adapterName(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device].filter((p) => p);
  return info?.description || (parts.length ? parts.join(' ') : 'this adapter');
}

/** Throw unless the adapter has every feature `why` needs (the message names feature and adapter). */
export function requireFeatures(adapter: GPUAdapter, features: readonly string[], why: string): void {
  for (const f of features) {
    if (!adapter.features.has(f)) throw new Error(`webgpu: ${why} needs the adapter feature ${f}, which ${adapterName(adapter)} does not have`);
  }
}
