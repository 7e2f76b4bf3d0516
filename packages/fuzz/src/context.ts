// The state of one graph being generated: the builder, the pool of values built so far with their
// facts, the inputs and weights declared (with the profile their values are drawn from), and the
// symbols bound so far. Op generators (op-gens.ts) pick operands from the pool and add results to
// it; a proposal the op's shape rule refuses is simply dropped (the builder says why, we try again).

import { BuildError, type DType, type Dim, GraphBuilder, type OpAttrs, type OpKind, type Shape, ShapeError, type Value, Var, dimAdd, isSymbol } from '@smelt/ir';
import type { Facts } from './facts.ts';
import type { Rng } from './rng.ts';
import { type Profile, profileFacts, profilesFor } from './values.ts';

export interface Item {
  readonly v: Var;
  readonly facts: Facts;
}

/** A declared input or weight: its values come from `profile` (weights never hold symbols). */
export interface Declared {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly profile: Profile;
  readonly weight: boolean;
}

/** The symbols of generated graphs; each is bound to 1..MAX_SYMBOL at run time. */
export const SYMBOLS = ['n', 'm'] as const;
export const MAX_SYMBOL = 5;
const FIXED = [1, 2, 3, 4, 5, 7];

export class GenContext {
  readonly b: GraphBuilder;
  readonly pool: Item[] = [];
  readonly declared: Declared[] = [];
  /** Symbols some input has as a whole dim: the only ones shapes may use. */
  readonly bound = new Set<string>();
  private readonly rootCache = new Map<Value, ReadonlySet<string>>();

  constructor(readonly rng: Rng, name: string) {
    this.b = new GraphBuilder(name);
  }

  /** A dim for a new shape: fixed, a bound symbol, or (rarely) a symbol plus one. */
  dim(): Dim {
    const syms = [...this.bound];
    if (syms.length && this.rng.chance(0.4)) {
      const s = this.rng.pick(syms);
      return this.rng.chance(0.15) ? dimAdd(s, 1) : s;
    }
    return this.rng.pick(FIXED);
  }

  shape(rank = this.rng.int(0, 4)): Dim[] {
    return Array.from({ length: rank }, () => this.dim());
  }

  /** Declare an input (or a weight: fixed dims only) and add it to the pool. */
  declare(dtype: DType, shape: Shape, profile: Profile = this.rng.pick(profilesFor(dtype)), weight = false): Item {
    const name = `${weight ? 'w' : 'x'}${this.declared.length}`;
    const dims = weight ? shape.map((d) => (typeof d === 'number' ? d : 3)) : shape;
    const v = new Var(this.b, weight ? this.b.param(name, dtype, dims) : this.b.input(name, dtype, dims));
    if (!weight) for (const d of dims) if (isSymbol(d)) this.bound.add(d);
    this.declared.push({ name, dtype, shape: dims, profile, weight });
    return this.add(v, profileFacts(profile));
  }

  add(v: Var, facts: Facts): Item {
    const item = { v, facts };
    this.pool.push(item);
    return item;
  }

  /** The inputs, weights and constants a value is computed from. */
  roots(v: Value): ReadonlySet<string> {
    let r = this.rootCache.get(v);
    if (!r) {
      const def = v.def;
      r = def.kind !== 'node' ? new Set([def.name]) : def.node.inputs.length === 0 ? new Set([`%${v.id}`]) : new Set(def.node.inputs.flatMap((x) => [...this.roots(x)]));
      this.rootCache.set(v, r);
    }
    return r;
  }

  /** Whether values share no input, weight or constant (so no rewrite can make them one value). */
  disjoint(items: readonly Item[]): boolean {
    const seen = new Set<string>();
    for (const it of items) {
      for (const r of this.roots(it.v.value)) {
        if (seen.has(r)) return false;
      }
      for (const r of this.roots(it.v.value)) seen.add(r);
    }
    return true;
  }

  /** A pool value satisfying `ok`, recent ones twice as likely (chains get deep). */
  pick(ok: (it: Item) => boolean = () => true): Item | undefined {
    const fits = this.pool.filter(ok);
    if (fits.length === 0) return undefined;
    const recent = fits.slice(-Math.max(1, fits.length >> 1));
    return this.rng.pick(this.rng.chance(0.5) ? recent : fits);
  }

  /** A pool value of one of `dtypes` satisfying `ok`, or a new input of such a dtype. */
  operand(dtypes: readonly DType[], ok: (it: Item) => boolean = () => true, shape?: Shape): Item {
    const found = this.rng.chance(0.8) ? this.pick((it) => dtypes.includes(it.v.dtype) && ok(it)) : undefined;
    if (found) return found;
    for (let tries = 0; tries < 8; tries++) {
      const made = this.declare(this.rng.pick(dtypes), shape ?? this.shape());
      if (ok(made)) return made;
    }
    return this.declare(dtypes[0], shape ?? this.shape(), dtypes[0] === 'f32' ? 'plain' : undefined);
  }

  /** A shape that broadcasts against `shape`: a suffix of it with some dims set to 1. */
  broadcastPartner(shape: Shape): Dim[] {
    const keep = this.rng.int(0, shape.length);
    return shape.slice(shape.length - keep).map((d) => (this.rng.chance(0.3) ? 1 : d));
  }

  /** Emit one op; undefined when its shape rule refuses the proposal. */
  emit<K extends OpKind>(op: K, operands: readonly Item[], attrs: OpAttrs[K], facts: Facts): Item[] | undefined {
    try {
      return this.b.emit(op, operands.map((o) => o.v.value), attrs).map((v) => this.add(new Var(this.b, v), facts));
    } catch (e) {
      if (e instanceof ShapeError || e instanceof BuildError) return undefined;
      throw e;
    }
  }

  /** Run a DSL snippet; undefined when a shape rule refuses it. */
  tryBuild(f: () => Var): Var | undefined {
    try {
      return f();
    } catch (e) {
      if (e instanceof ShapeError || e instanceof BuildError) return undefined;
      throw e;
    }
  }
}
