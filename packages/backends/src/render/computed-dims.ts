// Computed dims at run time (`past + 1`): every host, in-process or exported, binds the plain
// symbols from the input shapes and then calls `computeDims` with the plan's `computed` table
// (plain data: terms of coefficients and symbol indices). It imports nothing because exported
// model.js files carry its text (scripts/embed.ts), so one implementation serves the wasm, js and
// webgpu hosts alike.

/** One computed dim: the sum of its terms, each [coefficient, ...indices into the symbol list]. */
export interface ComputedDimData {
  readonly dim: string;
  readonly terms: readonly (readonly number[])[];
}

/**
 * Set each computed dim's value in `env` from the bound symbols (`symbols[i]` names index i). A
 * negative value, or an input shape that bound the dim itself to another value, is an error naming it.
 */
export function computeDims(env: Map<string, number>, symbols: readonly string[], computed: readonly ComputedDimData[]): void {
  for (const c of computed) {
    let v = 0;
    for (const term of c.terms) {
      let t = term[0];
      for (let j = 1; j < term.length; j++) t *= env.get(symbols[term[j]]) ?? NaN;
      v += t;
    }
    const given = env.get(c.dim);
    if (!(v >= 0)) throw new Error('dim ' + c.dim + ' is ' + v + ' for these inputs: a size cannot be negative');
    if (given !== undefined && given !== v) throw new Error('an input has ' + given + ' where its dim ' + c.dim + ' is ' + v);
    env.set(c.dim, v);
  }
}
