// Dims that compute: a symbolic dim is a polynomial with integer coefficients over named symbols
// (`past + 1`, `2 * seq`, `heads * seq - 1`), kept as its canonical text so that equal
// expressions are equal strings and `===` unifies them everywhere a dim is compared.
//
// Canonical form: monomials (sorted products of symbols), higher degree first, then in
// lexicographic order of their text, the constant last; a coefficient of 1 is left out (`seq`, not `1 * seq`); terms join with
// ` + ` / ` - `. A polynomial that is a lone symbol is that symbol's name; a constant one is a
// number, never a string. Exact division by an integer is allowed when every coefficient divides.
// Symbols stand for sizes, so they are never negative: that lets `provablyNonNegative` decide
// `start + size <= dim` for a polynomial whose coefficients are all >= 0.

const SYMBOL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A polynomial: monomial text ('' for the constant, else `a * b` sorted) → non-zero coefficient. */
type Poly = ReadonlyMap<string, number>;

export function isSymbolName(s: string): boolean {
  return SYMBOL_RE.test(s);
}

function monomialFactors(m: string): string[] {
  return m === '' ? [] : m.split(' * ');
}

function monomialOf(factors: readonly string[]): string {
  return [...factors].sort().join(' * ');
}

function addTerm(p: Map<string, number>, m: string, c: number): void {
  const v = (p.get(m) ?? 0) + c;
  if (!Number.isSafeInteger(v)) throw new Error(`dim coefficient ${v} is out of range`);
  if (v === 0) p.delete(m);
  else p.set(m, v);
}

function polyAdd(a: Poly, b: Poly, sign = 1): Poly {
  const out = new Map(a);
  for (const [m, c] of b) addTerm(out, m, sign * c);
  return out;
}

function polyMul(a: Poly, b: Poly): Poly {
  const out = new Map<string, number>();
  for (const [ma, ca] of a) {
    for (const [mb, cb] of b) addTerm(out, monomialOf([...monomialFactors(ma), ...monomialFactors(mb)]), ca * cb);
  }
  return out;
}

function polyDivExact(a: Poly, k: number, what: () => string): Poly {
  if (!Number.isSafeInteger(k) || k <= 0) throw new Error(`cannot divide ${what()} by ${k}: the divisor must be a positive integer`);
  const out = new Map<string, number>();
  for (const [m, c] of a) {
    if (c % k !== 0) throw new Error(`cannot divide ${what()} by ${k} exactly`);
    out.set(m, c / k);
  }
  return out;
}

function formatPoly(p: Poly): Dim {
  const degree = (m: string) => monomialFactors(m).length;
  const monos = [...p.keys()].filter((m) => m !== '').sort((a, b) => degree(b) - degree(a) || (a < b ? -1 : a > b ? 1 : 0));
  const constant = p.get('') ?? 0;
  if (monos.length === 0) {
    if (constant < 0) throw new Error(`dim ${constant} is negative`);
    return constant;
  }
  let text = '';
  for (const m of [...monos, ...(constant !== 0 ? [''] : [])]) {
    const c = p.get(m)!;
    const mag = Math.abs(c);
    const body = m === '' ? String(mag) : mag === 1 ? m : `${mag} * ${m}`;
    text += text === '' ? (c < 0 ? `-${body}` : body) : c < 0 ? ` - ${body}` : ` + ${body}`;
  }
  return text;
}

// ---- parsing: sums, differences, products, parentheses and exact division by an integer ----

/**
 * `f` with its results remembered under `key` of its arguments; the memory empties itself at 4096
 * entries, since a long-lived process (a fuzzer) may see endless distinct dims.
 */
function remembered<A extends readonly unknown[], T>(key: (...args: A) => string, f: (...args: A) => T): (...args: A) => T {
  const cache = new Map<string, T>();
  return (...args) => {
    const k = key(...args);
    let v = cache.get(k);
    if (v === undefined) {
      v = f(...args);
      if (cache.size >= 4096) cache.clear();
      cache.set(k, v);
    }
    return v;
  };
}

const byText = (d: string) => d;

function constPoly(c: number): Poly {
  return c === 0 ? new Map() : new Map([['', c]]);
}

/** Parsed dims by text. */
const parsedPoly = remembered(byText, (d): Poly => (isSymbolName(d) ? new Map([[d, 1]]) : new DimParser(d).parse()));

function polyOf(d: Dim): Poly {
  return typeof d === 'number' ? constPoly(d) : parsedPoly(d);
}

class DimParser {
  private readonly tokens: string[];
  private at = 0;

  constructor(private readonly text: string) {
    this.tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*|\d+|[-+*/()]|\S/g) ?? [];
  }

  private fail(why: string): never {
    throw new Error(`dim ${JSON.stringify(this.text)} is not an expression over symbols: ${why}`);
  }

  parse(): Poly {
    if (this.tokens.length === 0) this.fail('it is empty');
    const p = this.sum();
    if (this.at < this.tokens.length) this.fail(`unexpected ${JSON.stringify(this.tokens[this.at])}`);
    return p;
  }

  private sum(): Poly {
    let p = this.accept('-') ? polyMul(constPoly(-1), this.product()) : this.product();
    for (;;) {
      if (this.accept('+')) p = polyAdd(p, this.product());
      else if (this.accept('-')) p = polyAdd(p, this.product(), -1);
      else return p;
    }
  }

  private product(): Poly {
    let p = this.factor();
    for (;;) {
      if (this.accept('*')) p = polyMul(p, this.factor());
      else if (this.accept('/')) {
        const t = this.tokens[this.at++];
        if (t === undefined || !/^\d+$/.test(t)) this.fail('a divisor must be an integer');
        p = polyDivExact(p, Number(t), () => JSON.stringify(this.text));
      } else return p;
    }
  }

  private factor(): Poly {
    const t = this.tokens[this.at++];
    if (t === undefined) this.fail('it ends early');
    if (t === '(') {
      const p = this.sum();
      if (!this.accept(')')) this.fail('a "(" is not closed');
      return p;
    }
    if (/^\d+$/.test(t)) {
      const n = Number(t);
      if (!Number.isSafeInteger(n)) this.fail(`${t} is too large`);
      return constPoly(n);
    }
    if (isSymbolName(t)) return new Map([[t, 1]]);
    return this.fail(`unexpected ${JSON.stringify(t)}`);
  }

  private accept(t: string): boolean {
    if (this.tokens[this.at] !== t) return false;
    this.at++;
    return true;
  }
}

// ---- the public arithmetic, all on canonical dims ----

export type Dim = number | string;

/** The canonical form of a dim written as text or computed; throws on bad text or a negative constant. */
export function canonicalDim(d: Dim): Dim {
  if (typeof d === 'number') {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`dim ${d} is not a non-negative integer`);
    return d;
  }
  return formatPoly(polyOf(d));
}

export function dimAdd(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a + b : formatPoly(polyAdd(polyOf(a), polyOf(b)));
}

/** a - b; an error when the result is a negative constant. */
export function dimSub(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a < b) throw new Error(`dim ${a} - ${b} is negative`);
    return a - b;
  }
  return formatPoly(polyAdd(polyOf(a), polyOf(b), -1));
}

/** Symbolic products by operands (shapes multiply out the same dims again and again: numel, reshape checks). */
const symbolicProduct = remembered((a: Dim, b: Dim) => `${a}\u0000${b}`, (a: Dim, b: Dim) => formatPoly(polyMul(polyOf(a), polyOf(b))));

export function dimMul(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a * b : symbolicProduct(a, b);
}

/** a / k where every coefficient of a divides by k; otherwise an error naming a and k. */
export function dimDivExact(a: Dim, k: number): Dim {
  return formatPoly(polyDivExact(polyOf(a), k, () => String(a)));
}

export function dimSum(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((s, d) => dimAdd(s, d), 0);
}

export function dimProductOf(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((p, d) => dimMul(p, d), 1);
}

/** The symbols a dim is computed from, sorted. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d === 'number') return [];
  const names = new Set<string>();
  for (const m of polyOf(d).keys()) for (const f of monomialFactors(m)) names.add(f);
  return [...names].sort();
}

/** True when d is a single symbol (as opposed to a number or a computed expression). */
export function isSymbol(d: Dim): d is string {
  return typeof d === 'string' && isSymbolName(d);
}

/**
 * Whether a <= b for every value of the symbols: true when proven (b - a has no negative
 * coefficient), false when a > b is proven (a - b has no negative coefficient and is not zero),
 * undefined when it depends on the values.
 */
export function dimAtMost(a: Dim, b: Dim): boolean | undefined {
  const diff = polyAdd(polyOf(b), polyOf(a), -1);
  if ([...diff.values()].every((c) => c >= 0)) return true;
  if ([...diff.values()].every((c) => c <= 0)) return false;
  return undefined;
}

/**
 * The terms of a computed dim as plain data for generated hosts: each term is [coefficient,
 * ...indices into `symbols`] (a symbol repeats for a power). Every symbol must be in `symbols`.
 */
export function dimTerms(d: Dim, symbols: readonly string[]): number[][] {
  if (typeof d === 'number') return d === 0 ? [] : [[d]];
  return [...polyOf(d)].map(([m, c]) => [c, ...monomialFactors(m).map((f) => {
    const i = symbols.indexOf(f);
    if (i < 0) throw new Error(`dim ${d}: symbol ${f} is not bound by any input`);
    return i;
  })]);
}

/** A polynomial's terms with their symbols split out, by text: evalDim runs per dim per run, so it parses nothing. */
const termsOf = remembered(byText, (d: string) => [...polyOf(d)].map(([m, c]) => ({ c, factors: monomialFactors(m) })));

/** The value of a dim for symbol values given by `lookup`; an error names the dim when it is negative. */
export function evalDim(d: Dim, lookup: (symbol: string) => number | undefined): number {
  if (typeof d === 'number') return d;
  let v = 0;
  for (const { c, factors } of termsOf(d)) {
    let t = c;
    for (const f of factors) {
      const x = lookup(f);
      if (x === undefined) throw new Error(`symbol ${f} has no value: no input binds it`);
      t *= x;
    }
    v += t;
  }
  if (v < 0) throw new Error(`dim ${d} is ${v} for ${dimSymbols(d).map((s) => `${s} = ${lookup(s)}`).join(', ')}: a size cannot be negative`);
  return v;
}

/**
 * Solve `d = value` for d's one unknown symbol when it occurs alone and to the first power
 * (`past + 1 = 5` gives past = 4). Returns undefined when d has more unknowns or they occur
 * otherwise; throws naming d when no non-negative integer solves it.
 */
export function solveDim(d: string, value: number, lookup: (symbol: string) => number | undefined): [string, number] | undefined {
  const unknown = dimSymbols(d).filter((s) => lookup(s) === undefined);
  if (unknown.length !== 1) return undefined;
  const [x] = unknown;
  let coef = 0;
  let rest = 0;
  for (const [m, c] of polyOf(d)) {
    const fs = monomialFactors(m);
    if (fs.includes(x)) {
      if (fs.length !== 1) return undefined;
      coef = c;
    } else {
      rest += fs.reduce((t, f) => t * lookup(f)!, c);
    }
  }
  const sol = (value - rest) / coef;
  if (!Number.isSafeInteger(sol) || sol < 0) throw new Error(`no size ${x} makes ${d} equal ${value}`);
  return [x, sol];
}
