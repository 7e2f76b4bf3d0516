// writeFolderAtomically: --out is the previous export or the new one, never a mix, whatever fails
// or is interrupted; what a killed compile left behind is cleaned up (or put back) by the next one.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFolderAtomically } from './staging.ts';

/** A parent folder with a previous export in `out` (model.js "v1", a.wasm). */
function previousExport(): { parent: string; out: string } {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-staging-'));
  const out = path.join(parent, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'model.js'), 'v1');
  fs.writeFileSync(path.join(out, 'a.wasm'), 'old');
  return { parent, out };
}

const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
const leftovers = (parent: string) => fs.readdirSync(parent).filter((f) => f.includes('.smelt-'));
/** Above Linux's default pid_max: no process has it. */
const DEAD = 2 ** 22 + 12345;

describe('writeFolderAtomically', () => {
  it('replaces a previous export whole', async () => {
    const { parent, out } = previousExport();
    await writeFolderAtomically(out, 'out', async (dir) => fs.writeFileSync(path.join(dir, 'model.js'), 'v2'));
    expect(contents(out)).toEqual({ 'model.js': 'v2' });
    expect(leftovers(parent)).toEqual([]);
  });

  it('a failure part way through writing leaves the previous export and no staging folder', async () => {
    const { parent, out } = previousExport();
    const failing = writeFolderAtomically(out, 'out', async (dir) => {
      fs.writeFileSync(path.join(dir, 'model.js'), 'half');
      throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(contents(out)).toEqual({ 'a.wasm': 'old', 'model.js': 'v1' });
    expect(leftovers(parent)).toEqual([]);
  });

  it("removes a killed compile's staging folder", async () => {
    const { parent, out } = previousExport();
    fs.mkdirSync(path.join(parent, `.out.smelt-${DEAD}-abc123`));
    fs.writeFileSync(path.join(parent, `.out.smelt-${DEAD}-abc123`, 'model.js'), 'half');
    const live = path.join(parent, `.out.smelt-${process.pid}-live01`);
    fs.mkdirSync(live);
    await writeFolderAtomically(out, 'out', async (dir) => fs.writeFileSync(path.join(dir, 'model.js'), 'v2'));
    expect(leftovers(parent)).toEqual([path.basename(live)]);
    expect(contents(out)).toEqual({ 'model.js': 'v2' });
  });

  it('puts back the export a compile killed between its two renames had moved aside, then replaces it', async () => {
    const { parent, out } = previousExport();
    const aside = path.join(parent, `.out.smelt-${DEAD}-old-def456`);
    fs.mkdirSync(aside);
    fs.renameSync(out, path.join(aside, 'previous'));
    const seen: Record<string, string>[] = [];
    await writeFolderAtomically(out, 'out', async (dir) => {
      seen.push(contents(out));
      fs.writeFileSync(path.join(dir, 'model.js'), 'v2');
    });
    expect(seen).toEqual([{ 'a.wasm': 'old', 'model.js': 'v1' }]);
    expect(contents(out)).toEqual({ 'model.js': 'v2' });
    expect(leftovers(parent)).toEqual([]);
  });
});
