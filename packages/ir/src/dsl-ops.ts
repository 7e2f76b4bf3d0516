// DSL functions of the modern Transformer's ops built from several graph ops or checked here:
// repeatKv (grouped-query attention's head repeat, in the pattern the attention fusion folds) and
// rotary embeddings (tables computed as Hugging Face computes them, then the rope op).
// Shape mistakes are ShapeErrors at the user's file:line, like every op call's.

import { type GraphBuilder, ShapeError } from './builder.ts';
import { userCallSite } from './callsite.ts';
import { Var, constant, gather } from './dsl.ts';
import { type Dim, formatType } from './shape.ts';
import { tensor } from './tensor.ts';

function fail(op: string, xs: readonly Var[], why: string): never {
  throw new ShapeError(op, xs.map((x) => formatType(x.value.type)).join(', '), why, userCallSite());
}

/**
 * Hugging Face's repeat_kv: keys or values [..., G, L, D] → [..., G·n, L, D], kv head g serving
 * query heads g·n … g·n + n - 1. Emitted as reshape [..., G, 1, L, D] → expand [..., G, n, L, D] →
 * reshape [..., G·n, L, D]; `fuse-grouped-attention` folds exactly this into attention's grouped
 * heads, so no kernel copies a head once attention is fused.
 */
export function repeatKv(x: Var, n: number): Var {
  if (!Number.isSafeInteger(n) || n < 1) fail('repeatKv', [x], `the repeat count must be a positive integer, got ${n}`);
  if (x.rank < 3) fail('repeatKv', [x], 'needs [..., heads, len, headDim] (rank >= 3)');
  const lead = x.shape.slice(0, -3);
  const [g, l, d] = x.shape.slice(-3);
  if (typeof g !== 'number') fail('repeatKv', [x], `the kv head count must be a known number, got ${g}`);
  if (n === 1) return x;
  return x.reshape([...lead, g, 1, l, d]).expand([...lead, g, n, l, d]).reshape([...lead, g * n, l, d]);
}

/** cos and sin of every position's rotary angles, [maxPositions, dim / 2] f32 constants. */
export interface RotaryTables {
  readonly cos: Var;
  readonly sin: Var;
}

export interface RotaryTableOptions {
  /** Entries of each head row rotated (even; Llama's head size, GPT-J's rotary_dim). */
  readonly dim: number;
  /** Positions the tables hold (max_position_embeddings). */
  readonly maxPositions: number;
  /** theta (rope_theta), default 10000. */
  readonly base?: number;
}

/**
 * The tables as Hugging Face computes them, in f32 at every step: inv_freq[i] = 1 / base^(2i / dim),
 * angle = position · inv_freq[i], then cos and sin of the angle. Build them once per model.
 */
export function rotaryTables(b: GraphBuilder, { dim, maxPositions, base = 10000 }: RotaryTableOptions): RotaryTables {
  if (!Number.isSafeInteger(dim) || dim < 2 || dim % 2 !== 0) throw new ShapeError('rotaryTables', '', `dim must be a positive even integer, got ${dim}`, userCallSite());
  if (!Number.isSafeInteger(maxPositions) || maxPositions < 1) throw new ShapeError('rotaryTables', '', `maxPositions must be a positive integer, got ${maxPositions}`, userCallSite());
  if (!(base > 0)) throw new ShapeError('rotaryTables', '', `base must be positive, got ${base}`, userCallSite());
  const half = dim / 2;
  const f = Math.fround;
  const inv = Array.from({ length: half }, (_, i) => f(1 / f(base ** f((2 * i) / dim))));
  const cos = tensor('f32', [maxPositions, half]);
  const sin = tensor('f32', [maxPositions, half]);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(p * inv[i]);
      cos.data[p * half + i] = Math.cos(angle);
      sin.data[p * half + i] = Math.sin(angle);
    }
  }
  return { cos: constant(b, cos), sin: constant(b, sin) };
}

export interface RopeOptions {
  /** Position of x's first row (rows run along axis -2): a number or a dim such as `past`. Default 0. */
  readonly offset?: Dim;
  /** Or each row's position, i32 [..., L] (e.g. [batch, L] for x [batch, heads, L, D]: heads broadcast). */
  readonly positions?: Var;
  /** GPT-J's layout (pairs 2p, 2p + 1) instead of GPT-NeoX/Llama's (pairs j, j + dim / 2). */
  readonly interleaved?: boolean;
}

/**
 * Rotary embedding of x [..., L, D] (rows are positions along axis -2) by tables of dim ≤ D: the
 * tables' rows [offset, offset + L) (a slice: an input check bounds `offset + L` by maxPositions),
 * or the rows at `positions` (a gather); then the rope op.
 */
export function rope(x: Var, tables: RotaryTables, { offset = 0, positions, interleaved = false }: RopeOptions = {}): Var {
  if (x.rank < 2) fail('rope', [x], 'needs x [..., positions, headDim] (rank >= 2)');
  const len = x.shape[x.rank - 2];
  let cos: Var;
  let sin: Var;
  if (positions) {
    if (positions.shape[positions.rank - 1] !== len) fail('rope', [x, positions], `positions must end in the ${len} rows of x`);
    const lift = (t: Var) => {
      const g = gather(t, positions, 0);
      const extra = x.rank - g.rank;
      return extra > 0 ? g.reshape([...g.shape.slice(0, -2), ...Array<Dim>(extra).fill(1), ...g.shape.slice(-2)]) : g;
    };
    [cos, sin] = [lift(tables.cos), lift(tables.sin)];
  } else {
    [cos, sin] = [tables.cos.slice(0, offset, len), tables.sin.slice(0, offset, len)];
  }
  return new Var(x.b, x.b.emit('rope', [x.value, cos.value, sin.value], { interleaved })[0]);
}

export interface Conv1dOptions {
  readonly stride?: number;
  readonly padding?: number;
  readonly dilation?: number;
  readonly groups?: number;
}

/** torch.nn.functional.conv1d: x [N, Cin, L], weight [Cout, Cin / groups, K], optional bias [Cout]. */
export function conv1d(x: Var, weight: Var, bias?: Var, { stride = 1, padding = 0, dilation = 1, groups = 1 }: Conv1dOptions = {}): Var {
  const operands = bias ? [x.value, weight.value, bias.value] : [x.value, weight.value];
  return new Var(x.b, x.b.emit('conv1d', operands, { stride, padding, dilation, groups })[0]);
}
