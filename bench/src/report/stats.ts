// Summaries of a row's timed runs: min, median, max and the spread ((max − min) / median).

export interface Summary {
  readonly runs: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** (max − min) / median, in percent. */
  readonly spreadPct: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(ms: readonly number[]): Summary {
  const min = Math.min(...ms);
  const max = Math.max(...ms);
  const med = median(ms);
  return { runs: ms.length, min, median: med, max, spreadPct: ((max - min) / med) * 100 };
}
