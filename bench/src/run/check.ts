// Checking an engine's outputs against the reference outputs before it is timed: f32 outputs by
// max abs error (a row fails above TOLERANCE), token outputs exactly. Shapes must match.
// Engines with int8 weights (the -q8 rows) compute other numbers by design, and on the bench's random
// weights a greedy decode may take another token and go its own way from there: for them f32
// outputs must be finite and within QUANTIZED_TOLERANCE of the reference relative to its largest
// magnitude, tokens must have the reference's shape, and how many equal it is reported, not required.

import type { Tensor } from '@smelt/ir';

export const TOLERANCE = 1e-3;
/** int8 rows: max abs error over the reference's max |value|. */
export const QUANTIZED_TOLERANCE = 0.1;

export interface CheckResult {
  readonly ok: boolean;
  /** Largest |engine − reference| over every f32 output (0 for exact token matches). */
  readonly maxAbsErr: number;
  readonly detail: string;
}

interface Compared { err: number; problem?: string; note?: string }

function compareOne(name: string, got: Tensor | undefined, want: Tensor, quantized: boolean): Compared {
  if (!got) return { err: Infinity, problem: `no output "${name}"` };
  if (got.shape.join(',') !== want.shape.join(',')) return { err: Infinity, problem: `${name}: shape [${got.shape}] vs reference [${want.shape}]` };
  const a = got.data;
  const b = want.data;
  if (want.dtype !== 'f32') {
    let wrong = 0;
    let first = -1;
    for (let i = 0; i < b.length; i++) if (Number(a[i]) !== Number(b[i])) (wrong++, first < 0 && (first = i));
    if (quantized) return { err: 0, note: `${name}: ${b.length - wrong} of ${b.length} equal the f32 reference` };
    return wrong === 0 ? { err: 0 } : { err: Infinity, problem: `${name}: ${wrong} of ${b.length} differ, first at ${first} (${a[first]} vs ${b[first]})` };
  }
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(Number(b[i])));
  }
  if (quantized && !(err <= QUANTIZED_TOLERANCE * scale)) return { err, problem: `${name}: max abs err ${err.toExponential(2)} > ${QUANTIZED_TOLERANCE} × ${scale.toExponential(2)} (int8 weights)` };
  return { err };
}

/** `quantized`: an int8-weight engine's outputs, checked as the header says. */
export function checkOutputs(got: ReadonlyMap<string, Tensor>, expected: ReadonlyMap<string, Tensor>, quantized = false): CheckResult {
  let maxAbsErr = 0;
  const problems: string[] = [];
  const notes: string[] = [];
  for (const [name, want] of expected) {
    const { err, problem, note } = compareOne(name, got.get(name), want, quantized);
    maxAbsErr = Math.max(maxAbsErr, err);
    if (problem) problems.push(problem);
    if (note) notes.push(note);
  }
  const ok = problems.length === 0 && (quantized || maxAbsErr <= TOLERANCE);
  const detail = problems.length ? problems.join('; ') : [`max abs err ${maxAbsErr.toExponential(2)}${ok ? '' : ` > ${TOLERANCE}`}${quantized ? ' (int8 weights)' : ''}`, ...notes].join('; ');
  return { ok, maxAbsErr, detail };
}
