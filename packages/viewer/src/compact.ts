// The compile trace as the standalone page stores it: a step a pass left unchanged is a pointer to
// the step it equals instead of a second copy of the graph (about half the size); expandTrace
// restores the full trace in the page.

import type { CompileTrace } from '@smelt/compiler';

/** A step that a pass left unchanged, stored as a pointer to the step it equals. */
interface SameStep { readonly step: number; readonly phase: string; readonly pass: string; readonly changed: false; readonly ms: number; readonly sameAs: number }

/** The trace with each unchanged step's graph left out (it is the step before's): about half the size. */
export type CompactTrace = Omit<CompileTrace, 'steps'> & { steps: readonly (CompileTrace['steps'][number] | SameStep)[] };

export function compactTrace(trace: CompileTrace): CompactTrace {
  let last = 0;
  const steps = trace.steps.map((s, i) => {
    if (i === 0 || s.changed) { last = i; return s; }
    return { step: s.step, phase: s.phase, pass: s.pass, changed: false as const, ms: s.ms, sameAs: last };
  });
  return { ...trace, steps };
}

/** compactTrace undone. */
export function expandTrace(compact: CompactTrace): CompileTrace {
  const steps: CompileTrace['steps'][number][] = [];
  for (const s of compact.steps) steps.push('sameAs' in s ? { ...steps[s.sameAs], step: s.step, phase: s.phase, pass: s.pass, changed: false, ms: s.ms } : s);
  return { ...compact, steps };
}

