// Runs one case differentially: the interpreter on the raw graph is the answer; every target
// (targets.ts) compiles the raw and the optimized graph and runs both at each binding of the
// symbols; every output is compared (compare.ts). A target that refuses the graph for a capability
// it declares it lacks is skipped, not counted; any other error where the interpreter has an answer
// is a mismatch.

import { BackendError } from '@smelt/backends';
import { type SymbolEnv, type Tensor, interpret } from '@smelt/ir';
import { compareTensors } from './compare.ts';
import type { FuzzCase } from './generate.ts';
import type { Target } from './targets.ts';

export interface Mismatch {
  readonly target: string;
  /** The optimized graph (true) or the graph as built. */
  readonly optimize: boolean;
  readonly env?: SymbolEnv;
  readonly output?: string;
  /** 'value': an output differs; 'error': the target threw where the interpreter did not. */
  readonly kind: 'value' | 'error';
  readonly message: string;
}

export const describeMismatch = (m: Mismatch): string =>
  `${m.target} (${m.optimize ? 'optimized' : 'as built'})${m.env ? ` at ${[...m.env].map(([k, v]) => `${k}=${v}`).join(' ') || 'no symbols'}` : ''}${m.output ? ` output ${m.output}` : ''}: ${m.message}`;

/** A refusal the backend owes the user by design (a kernel kind or dtype it does not have). */
function isCapabilityRefusal(e: unknown): boolean {
  return e instanceof BackendError && /has no .* kernel|cannot hold/.test(e.message);
}

/** The interpreter's outputs per binding, or the error that makes the case invalid. */
export function expected(c: FuzzCase): { env: SymbolEnv; inputs: Map<string, Tensor>; want: Map<string, Tensor> }[] {
  return c.envs.map((env) => {
    const inputs = c.inputs(env);
    return { env, inputs, want: interpret(c.graph, inputs, c.weights) };
  });
}

/** Mismatches of one target on one case (both graphs, both bindings); the first per graph. */
export async function checkTarget(c: FuzzCase, t: Target, runs = expected(c)): Promise<Mismatch[]> {
  const found: Mismatch[] = [];
  const target = t.name;
  for (const optimize of t.modes) {
    let exe;
    try {
      exe = await t.compile(c.graph, c.weights, optimize);
    } catch (e) {
      if (!isCapabilityRefusal(e)) found.push({ target, optimize, kind: 'error', message: `compile failed: ${(e as Error).message}` });
      continue;
    }
    try {
      found.push(...(await runAll(exe, c, target, optimize, runs)).slice(0, 1));
    } finally {
      exe.dispose();
    }
  }
  return found;
}

async function runAll(exe: { run(i: Map<string, Tensor>): Promise<Map<string, Tensor>> }, c: FuzzCase, target: string, optimize: boolean, runs: ReturnType<typeof expected>): Promise<Mismatch[]> {
  const found: Mismatch[] = [];
  for (const { env, inputs, want } of runs) {
    let got;
    try {
      got = await exe.run(inputs);
    } catch (e) {
      found.push({ target, optimize, env, kind: 'error', message: `run failed: ${(e as Error).message}` });
      continue;
    }
    for (const [name, t] of want) {
      const diff = compareTensors(got.get(name), t, c.bounds.get(name));
      if (diff) found.push({ target, optimize, env, output: name, kind: 'value', message: diff });
    }
  }
  return found;
}

/** Every target's mismatches on one case. */
export async function checkCase(c: FuzzCase, targets: readonly Target[]): Promise<Mismatch[]> {
  const runs = expected(c);
  const found: Mismatch[] = [];
  for (const t of targets) found.push(...(await checkTarget(c, t, runs)));
  return found;
}
