// Checking an engine's outputs against the reference outputs before it is timed: f32 outputs by
// max abs error (a row fails above TOLERANCE), token outputs exactly. Shapes must match.

import type { Tensor } from '@smelt/ir';

export const TOLERANCE = 1e-3;

export interface CheckResult {
  readonly ok: boolean;
  /** Largest |engine − reference| over every f32 output (0 for exact token matches). */
  readonly maxAbsErr: number;
  readonly detail: string;
}

function compareOne(name: string, got: Tensor | undefined, want: Tensor): { err: number; problem?: string } {
  if (!got) return { err: Infinity, problem: `no output "${name}"` };
  if (got.shape.join(',') !== want.shape.join(',')) return { err: Infinity, problem: `${name}: shape [${got.shape}] vs reference [${want.shape}]` };
  const a = got.data;
  const b = want.data;
  if (want.dtype !== 'f32') {
    let wrong = 0;
    let first = -1;
    for (let i = 0; i < b.length; i++) if (Number(a[i]) !== Number(b[i])) (wrong++, first < 0 && (first = i));
    return wrong === 0 ? { err: 0 } : { err: Infinity, problem: `${name}: ${wrong} of ${b.length} differ, first at ${first} (${a[first]} vs ${b[first]})` };
  }
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return { err };
}

export function checkOutputs(got: ReadonlyMap<string, Tensor>, expected: ReadonlyMap<string, Tensor>): CheckResult {
  let maxAbsErr = 0;
  const problems: string[] = [];
  for (const [name, want] of expected) {
    const { err, problem } = compareOne(name, got.get(name), want);
    maxAbsErr = Math.max(maxAbsErr, err);
    if (problem) problems.push(problem);
  }
  const ok = problems.length === 0 && maxAbsErr <= TOLERANCE;
  const detail = problems.length ? problems.join('; ') : `max abs err ${maxAbsErr.toExponential(2)}${ok ? '' : ` > ${TOLERANCE}`}`;
  return { ok, maxAbsErr, detail };
}
