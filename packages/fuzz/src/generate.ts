// One random graph from a seed: a first input binding the symbols, then a chain of draws from the op
// generator table and the fusion patterns, then outputs (the last values and a few earlier ones),
// unread weights dropped. With the graph come its weights and an input maker per binding of the
// symbols, all from the same seed: a seed names one test case.

import { type Graph, type SymbolEnv, type Tensor, resolveShape } from '@smelt/ir';
import { type Declared, GenContext, MAX_SYMBOL, SYMBOLS } from './context.ts';
import { OP_GENS, OP_WEIGHTS, type OpGenEntry } from './op-gens.ts';
import { PATTERN_GENS } from './patterns.ts';
import { Rng } from './rng.ts';
import { makeTensor } from './values.ts';

export interface FuzzCase {
  readonly graph: Graph;
  readonly weights: Map<string, Tensor>;
  /** The two bindings of the symbols every executable runs at. */
  readonly envs: readonly SymbolEnv[];
  /** Per output, the bound proved for the magnitude of its finite elements (compare.ts). */
  readonly bounds: ReadonlyMap<string, number>;
  inputs(env: SymbolEnv): Map<string, Tensor>;
}

export interface GenerateOptions {
  /** Draws from the table (each adds an op or a pattern). */
  readonly ops?: number;
  /** Only these generators (op kinds or pattern names), e.g. to fuzz one op. */
  readonly only?: readonly string[];
}

type Gens = Readonly<Record<string, OpGenEntry>>;
const GENS: Gens = { ...OP_GENS, ...PATTERN_GENS };

/** The generators drawn from and their weights. */
function drawWeights(only?: readonly string[]): Record<string, number> {
  const names = Object.keys(GENS).filter((k) => typeof GENS[k] === 'function' && (!only || only.includes(k)));
  if (names.length === 0) throw new Error(`fuzz: no generator among ${only?.join(', ')}`);
  return Object.fromEntries(names.map((k) => [k, (OP_WEIGHTS as Record<string, number>)[k] ?? (k.startsWith('pattern:') ? 3 : 1)]));
}

function tensorOf(d: Declared, env: SymbolEnv, seed: number): Tensor {
  return makeTensor(d.dtype, resolveShape(d.shape, env), d.profile, seed);
}

export function generateCase(seed: number, options: GenerateOptions = {}): FuzzCase {
  const rng = new Rng(seed);
  const g = new GenContext(rng, `fuzz_${seed}`);
  const syms = SYMBOLS.filter((_, i) => i === 0 || rng.chance(0.5));
  g.declare('f32', [...syms, ...g.shape(rng.int(0, 2))].slice(0, 4));
  const weights = drawWeights(options.only);
  const draws = options.ops ?? rng.int(2, 8);
  for (let i = 0, tries = 0; i < draws && tries < draws * 10; tries++) {
    const gen = GENS[rng.weighted(weights)];
    if (typeof gen === 'function' && gen(g)) i++;
  }
  const made = g.pool.filter((it) => it.v.value.def.kind === 'node');
  const chosen = new Set(made.slice(-rng.int(1, 2)));
  for (const it of made) if (rng.chance(0.15)) chosen.add(it);
  const bounds = new Map([...chosen].map((it, i) => [`y${i}`, it.facts.mag] as const));
  [...chosen].forEach((it, i) => g.b.output(`y${i}`, it.v.value));
  pruneUnreadWeights(g);
  const valueSeed = rng.fork();
  const envs = [0, 1].map(() => new Map(SYMBOLS.map((s) => [s, rng.int(1, MAX_SYMBOL)] as const)));
  const byName = new Map(g.declared.map((d, i) => [d.name, [d, valueSeed + i] as const]));
  return {
    graph: g.b.graph,
    weights: new Map(g.declared.filter((d) => d.weight && g.b.graph.param(d.name)).map((d) => [d.name, tensorOf(d, new Map(), byName.get(d.name)![1])])),
    bounds,
    envs: envs.map((e) => new Map([...e].filter(([s]) => g.bound.has(s)))),
    inputs: (env) => new Map(g.b.graph.inputs.map((v) => {
      const [d, s] = byName.get(v.name!)!;
      return [d.name, tensorOf(d, env, s)];
    })),
  };
}

/** Drop weights no node reads (a draw the shape rule refused may have declared them). */
function pruneUnreadWeights(g: GenContext): void {
  const read = new Set(g.b.graph.nodes.flatMap((n) => n.inputs));
  const params = g.b.graph.params;
  for (let i = params.length - 1; i >= 0; i--) if (!read.has(params[i])) params.splice(i, 1);
}
