// Dim arithmetic the importer needs beyond dim-expr: dividing a product of sizes by another
// (Reshape's -1 over symbolic dims: `16 * batch * srcLen` / `2 * batch`), and symbol names for
// ONNX dims (dim_param when it is a valid name, else a documented default).

import { type Dim, canonicalDim, dimDivExact, isSymbolName } from '@smelt/ir';

/** One monomial: integer coefficient and sorted symbol factors; undefined for a sum of terms. */
function monomial(d: Dim): { coef: number; factors: string[] } | undefined {
  if (typeof d === 'number') return { coef: d, factors: [] };
  if (/[+]| - |^-/.test(d)) return undefined;
  let coef = 1;
  const factors: string[] = [];
  for (const f of d.split(' * ')) {
    if (/^\d+$/.test(f)) coef *= Number(f);
    else factors.push(f);
  }
  return { coef, factors };
}

/** a / b when it divides exactly as polynomials (b a number, or both single products); else undefined. */
export function dimDivide(a: Dim, b: Dim): Dim | undefined {
  try {
    if (typeof b === 'number') return b > 0 ? dimDivExact(a, b) : undefined;
    const ma = monomial(a);
    const mb = monomial(b);
    if (!ma || !mb || mb.coef === 0 || ma.coef % mb.coef !== 0) return undefined;
    const rest = [...ma.factors];
    for (const f of mb.factors) {
      const i = rest.indexOf(f);
      if (i < 0) return undefined;
      rest.splice(i, 1);
    }
    return canonicalDim([String(ma.coef / mb.coef), ...rest].join(' * '));
  } catch {
    return undefined;
  }
}

/** Whether a dim is a product of sizes with a positive coefficient (`batch`, `2 * batch * seq`): never negative. */
export function isNonNegativeProduct(d: Dim): boolean {
  const m = monomial(d);
  return m !== undefined && m.coef >= 0;
}

/**
 * The symbol for an ONNX dim without a size: its dim_param when that is a valid name (letters,
 * digits, underscores, not starting with a digit), else `<input>_<axis>` made valid the same way.
 */
export function symbolFor(param: string | undefined, input: string, axis: number): string {
  if (param && isSymbolName(param)) return param;
  const base = (param || `${input}_${axis}`).replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(base) ? base : `d_${base}`;
}
