// Shapes with symbolic dims: a dim is a known size (integer) or a named symbol ("batch").
// Rules keep symbols: equal symbols unify, 1 broadcasts, two different sizes are an error.

export type Dim = number | string;
export type Shape = readonly Dim[];

export interface TensorType {
  readonly dtype: import('./dtype.ts').DType;
  readonly shape: Shape;
}

const SYMBOL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isSymbol(d: Dim): d is string {
  return typeof d === 'string';
}

export function checkDim(d: Dim, what: string): void {
  if (typeof d === 'number') {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${what}: dim ${d} is not a non-negative integer`);
  } else if (!SYMBOL_RE.test(d)) {
    throw new Error(`${what}: symbol ${JSON.stringify(d)} is not an identifier`);
  }
}

export function formatDims(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatDims(t.shape)}`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function typesEqual(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

/** Broadcast two dims; undefined when they cannot meet. */
export function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  return undefined;
}

/** Numpy-style broadcast of several shapes; throws with both shapes named on a mismatch. */
export function broadcastShapes(shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = broadcastDim(out[j], s[i]);
      if (d === undefined) {
        throw new Error(`cannot broadcast ${formatDims(shapes[0])} with ${formatDims(s)}: dim ${out[j]} vs ${s[i]}`);
      }
      out[j] = d;
    }
  }
  return out;
}

/** Normalize a possibly negative axis against a rank, or throw naming both. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A product of dims kept symbolically: a known factor times a sorted list of symbols. */
export interface DimProduct {
  readonly factor: number;
  readonly symbols: readonly string[];
}

export function dimProduct(shape: Shape): DimProduct {
  let factor = 1;
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === 'number') factor *= d;
    else symbols.push(d);
  }
  return { factor, symbols: symbols.sort() };
}

export function productsEqual(a: DimProduct, b: DimProduct): boolean {
  return a.factor === b.factor && a.symbols.length === b.symbols.length && a.symbols.every((s, i) => s === b.symbols[i]);
}

/** Symbol values known at run time. */
export type SymbolEnv = ReadonlyMap<string, number>;

export function resolveDim(d: Dim, env: SymbolEnv): number {
  if (typeof d === 'number') return d;
  const v = env.get(d);
  if (v === undefined) throw new Error(`symbol ${d} has no value: no input binds it`);
  return v;
}

export function resolveShape(shape: Shape, env: SymbolEnv): number[] {
  return shape.map((d) => resolveDim(d, env));
}

/** Bind the symbols of a declared shape to an actual shape; throws naming the tensor. */
export function bindShape(name: string, declared: Shape, actual: readonly number[], env: Map<string, number>): void {
  const fail = (why: string) => {
    throw new Error(`input "${name}": expected shape ${formatDims(declared)}, got ${formatDims(actual)}${why}`);
  };
  if (declared.length !== actual.length) fail('');
  declared.forEach((d, i) => {
    const got = actual[i];
    if (typeof d === 'number') {
      if (d !== got) fail('');
    } else {
      const prev = env.get(d);
      if (prev === undefined) env.set(d, got);
      else if (prev !== got) fail(` (${d} is already ${prev})`);
    }
  });
}
