// How smelt dtypes live on the GPU and how WGSL text for numbers and symbolic dims is written.
// Every element is 32 bits in GPU memory (WGSL has no 8-bit or 64-bit storage): f16 is held as
// f32 (rounded to half precision by casts), i64 as i32, u8 and bool as u32 (the one exception:
// matmul-only weights under precision 'f16', stored as f16; precision.ts). Expressions compute
// in three value types: f32, i32 (also for i64 and u8) and bool. Numbers are written so that
// WGSL can never misread them; NaN and ±inf come from bit patterns through a runtime function,
// because a non-finite constant expression is a shader-creation error.

import type { DType, Dim } from '@smelt/ir';

/** The WGSL scalar an element is stored as. */
export type StoreType = 'f32' | 'i32' | 'u32';
/** The WGSL type an element has inside an expression. */
export type ValueType = 'f32' | 'i32' | 'bool';

export const GPU_BYTES_PER_ELEMENT = 4;

export function storeType(d: DType): StoreType {
  switch (d) {
    case 'f32': case 'f16': return 'f32';
    case 'i32': case 'i64': return 'i32';
    case 'u8': case 'bool': return 'u32';
    default: return d satisfies never;
  }
}

export function valueType(d: DType): ValueType {
  switch (d) {
    case 'f32': case 'f16': return 'f32';
    case 'i32': case 'i64': case 'u8': return 'i32';
    case 'bool': return 'bool';
    default: return d satisfies never;
  }
}

/** A stored element (of WGSL type `store`) as the expression value of dtype `d`. */
export function fromStore(d: DType, raw: string): string {
  if (d === 'bool') return `(${raw} != 0u)`;
  if (d === 'u8') return `i32(${raw})`;
  return raw;
}

/** An expression value of dtype `d` as the element to store. */
export function toStore(d: DType, v: string): string {
  if (d === 'bool') return `select(0u, 1u, ${v})`;
  if (d === 'u8') return `u32(${v} & 255i)`;
  return v;
}

/** A bit-exact reinterpretation between two 32-bit WGSL scalars (identity when equal). */
export function bitcastTo(to: StoreType, from: StoreType, v: string): string {
  return to === from ? v : `bitcast<${to}>(${v})`;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** An f32 value as WGSL: a literal when finite, else its IEEE bits through `f32_bits` (prelude). */
export function f32Literal(v: number): string {
  f32Scratch[0] = v;
  const r = f32Scratch[0];
  if (!Number.isFinite(r)) return `f32_bits(0x${u32Scratch[0].toString(16)}u)`;
  if (Object.is(r, -0)) return '(-0.0f)';
  const text = String(r);
  return r < 0 ? `(${text}f)` : `${text}f`;
}

/** An integer as a WGSL i32 (wrapped to 32 bits like Int32Array). */
export function i32Literal(v: number): string {
  const x = v | 0;
  // -2147483648i is not a literal (the minus is an operator on an out-of-range 2147483648i).
  if (x === -2147483648) return 'i32(-2147483647i - 1i)';
  return x < 0 ? `(${x}i)` : `${x}i`;
}

export function literal(t: ValueType, v: number): string {
  if (t === 'f32') return f32Literal(v);
  if (t === 'i32') return i32Literal(Number.isFinite(v) ? Math.trunc(v) : 0);
  return v !== 0 ? 'true' : 'false';
}

/** Writes dims as WGSL u32 expressions: numbers as literals, symbols as fields of the uniform. */
export class DimWriter {
  private readonly index = new Map<string, number>();

  constructor(readonly symbols: readonly string[]) {
    symbols.forEach((s, i) => this.index.set(s, i));
  }

  dim(d: Dim): string {
    if (typeof d === 'number') return `${d}u`;
    const i = this.index.get(d);
    if (i === undefined) throw new Error(`symbol ${d} is not bound by any graph input`);
    return `syms.s${i}`;
  }

  /** The product of dims, with known factors folded; `1u` when empty. */
  product(dims: readonly Dim[]): string {
    let factor = 1;
    const parts: string[] = [];
    for (const d of dims) {
      if (typeof d === 'number') factor *= d;
      else parts.push(this.dim(d));
    }
    if (factor !== 1 || parts.length === 0) parts.push(`${factor}u`);
    return parts.length === 1 ? parts[0] : `(${parts.join(' * ')})`;
  }

  /**
   * A known count the shader compiler must not see: drivers fully unroll loops with small constant
   * trip counts, and llvmpipe's JIT time then grows by orders of magnitude (seconds per kernel).
   */
  opaque(n: number): string {
    return `(${n}u + syms.zero)`;
  }

  /** The uniform struct every kernel declares (binding 0): one u32 per symbol, then a zero. */
  uniformStruct(): string {
    const fields = [...this.symbols.map((_, i) => `s${i}: u32,`), 'zero: u32,'];
    return `struct Syms {\n  ${fields.join('\n  ')}\n}\n@group(0) @binding(0) var<uniform> syms: Syms;`;
  }
}
