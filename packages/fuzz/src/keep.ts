// What a fuzz run does with a mismatch: shrink it (shrink.ts) on the first target that showed it and
// write it as a regression case file (case-file.ts) that tests/fuzz-cases.test.ts replays.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkConcrete, concreteAt } from './concrete.ts';
import type { Target } from './targets.ts';
import { describeMismatch, type Mismatch } from './differential.ts';
import { generateCase } from './generate.ts';
import { shrink } from './shrink.ts';
import { writeCase } from './case-file.ts';

/** Shrink graph `caseSeed`'s first mismatch and write it into `dir`; returns the file's path. */
export async function keepMismatch(dir: string, targets: readonly Target[], runSeed: number, graph: number, caseSeed: number, found: readonly Mismatch[]): Promise<string> {
  const first = found[0];
  const t = targets.find((x) => x.name === first.target)!;
  const c = generateCase(caseSeed);
  const env = first.env ?? c.envs[0];
  const { shrunk, mismatch, steps } = await shrink(concreteAt(c, env), (x) => checkConcrete(x, t), first);
  const header = [
    `fuzz regression case: found by \`pnpm fuzz --seed ${runSeed}\` (graph ${graph}, case seed ${caseSeed}), shrunk in ${steps} steps`,
    `first seen: ${describeMismatch(first)}`,
    `shrunk: ${describeMismatch(mismatch)}`,
  ];
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${first.target}-${caseSeed}.ir`);
  writeFileSync(file, writeCase(shrunk, header));
  return file;
}
