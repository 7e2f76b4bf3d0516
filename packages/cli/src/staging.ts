// Writing an export folder all at once: `smelt compile` (and `smelt import`, whose mark is
// model.smelt) writes into a staging folder next to --out
// and swaps it in with two renames, so --out holds either the previous export or the new one, never
// a mix (moving files one by one kept the stale files of another target, and a failure or an
// interrupt part way through left half of each). A staging folder that a killed compile left
// behind (its process is gone) is removed by the next compile into the same folder; a previous
// export it had moved aside is put back first.

import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './args.ts';

/** The file every export writes: a non-empty --out without it is not ours to replace. */
const EXPORT_MARK = 'model.js';

const stagingPrefix = (out: string) => `.${path.basename(out)}.smelt-`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove what compiles into `out` that were killed left behind; put back an export they had moved aside. */
function sweepStale(out: string): void {
  const parent = path.dirname(out);
  const prefix = stagingPrefix(out);
  for (const name of fs.readdirSync(parent)) {
    const m = name.startsWith(prefix) ? /^(\d+)-(old-)?/.exec(name.slice(prefix.length)) : null;
    if (!m || alive(Number(m[1]))) continue;
    const stale = path.join(parent, name);
    const previous = path.join(stale, 'previous');
    if (m[2] && !fs.existsSync(out) && fs.existsSync(previous)) fs.renameSync(previous, out);
    fs.rmSync(stale, { recursive: true, force: true });
  }
}

/** Refuse an --out that is a file, or a folder that holds files but is not an export (it lacks `mark`). */
export function checkReplaceable(out: string, flag: string, mark = EXPORT_MARK): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new UsageError(`--out ${flag} exists and is not a folder`);
  const names = fs.readdirSync(out);
  if (names.length > 0 && !names.includes(mark)) {
    throw new UsageError(`--out ${flag} holds files but no ${mark}, so it is not an export smelt may replace; name a new or empty folder`);
  }
}

/**
 * Run `write` into a fresh staging folder, then make it `out` (replacing a previous export whole);
 * on failure `out` is as it was and the staging folder is gone. Returns the paths of `out`'s files.
 */
export async function writeFolderAtomically(
  out: string, flag: string, write: (staging: string) => Promise<void>, mark = EXPORT_MARK,
): Promise<string[]> {
  const parent = path.dirname(out);
  fs.mkdirSync(parent, { recursive: true });
  sweepStale(out);
  checkReplaceable(out, flag, mark);
  const staging = fs.mkdtempSync(path.join(parent, `${stagingPrefix(out)}${process.pid}-`));
  try {
    await write(staging);
    if (fs.existsSync(out)) {
      const aside = fs.mkdtempSync(path.join(parent, `${stagingPrefix(out)}${process.pid}-old-`));
      fs.renameSync(out, path.join(aside, 'previous'));
      try {
        fs.renameSync(staging, out);
      } catch (e) {
        fs.renameSync(path.join(aside, 'previous'), out);
        throw e;
      } finally {
        fs.rmSync(aside, { recursive: true, force: true });
      }
    } else {
      fs.renameSync(staging, out);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return fs.readdirSync(out).map((name) => path.join(out, name));
}
