// What the generator knows about each value it builds, so it only makes graphs whose answer is
// defined up to rounding: a bound on the magnitude of the finite elements, whether NaN or ±inf may
// occur, and whether the value is exact (bit-identical on every backend). Float arithmetic is never
// exact: backends round in another order, fuse a multiply-add (relaxed SIMD) or evaluate a
// transcendental with another polynomial. An op whose answer jumps on a rounding difference
// (comparisons, casts to integers, argmax, log and division near zero, sums of huge values) takes
// only operands whose facts make its answer stable. docs/FUZZING.md states the rules.

export interface Facts {
  /** Upper bound of |x| over the finite elements (Infinity: unbounded, e.g. up to 3e38). */
  readonly mag: number;
  /** NaN or ±inf may occur. */
  readonly special: boolean;
  /** Bit-identical on every backend (inputs, movement, integers, selections of exact values). */
  readonly exact: boolean;
}

/** Magnitudes above this make sums and products order-dependent (overflow, absorbed terms). */
export const SUMMABLE = 1e3;

export const EXACT_INT: Facts = { mag: Infinity, special: false, exact: true };

/** The facts of a value computed from `inputs` by float arithmetic with result bound `mag`. */
export function inexact(inputs: readonly Facts[], mag: number): Facts {
  return { mag: Number.isFinite(mag) ? mag : Infinity, special: inputs.some((f) => f.special) || !Number.isFinite(mag), exact: false };
}

/** Exact when every operand is: movement, selection, comparison, integer arithmetic. */
export function carried(inputs: readonly Facts[], mag = Math.max(0, ...inputs.map((f) => f.mag))): Facts {
  return { mag, special: inputs.some((f) => f.special), exact: inputs.every((f) => f.exact) };
}

/** Finite, bounded: may be summed, multiplied, normalized in any order. */
export const summable = (f: Facts): boolean => f.mag <= SUMMABLE;

/** Safe input of a rounding-sensitive op (comparison, cast to integer, argmax, log, division). */
export const stable = (f: Facts): boolean => f.exact;

/**
 * Safe operand of float arithmetic next to the others: an unbounded value (huge finite elements)
 * only meets exact values, so a rounding difference is never multiplied by a huge number.
 */
export function compatible(all: readonly Facts[]): boolean {
  return !all.some((f) => f.mag === Infinity) || all.every((f) => f.exact);
}
