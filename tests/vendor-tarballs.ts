// The third-party packages smelt's packed packages depend on (protobufjs and its own dependencies,
// for @smelt/onnx), as npm tarballs made from the copies pnpm installed in this workspace: the
// install test gives them to `npm install --offline` beside smelt's own tarballs, so it needs no
// registry. Optional dependencies (webgpu) are left out, as an offline user would be without them.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

interface Manifest { readonly name: string; readonly version: string; readonly dependencies?: Record<string, string> }

const readManifest = (dir: string): Manifest => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;

/** Node's lookup: `node_modules/NAME` in `from` or the nearest folder above it that has one. */
function locate(name: string, from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) throw new Error(`vendor-tarballs: ${name} (needed from ${from}) is not installed; run pnpm install`);
  }
}

/**
 * Tarballs in `out` of every non-smelt dependency (transitively) of the workspace packages in
 * `packageDirs`, one per name@version; returns their paths.
 */
export function vendorTarballs(packageDirs: readonly string[], out: string): string[] {
  fs.mkdirSync(out, { recursive: true });
  const seen = new Map<string, string>();
  const queue = packageDirs.flatMap((dir) => Object.keys(readManifest(dir).dependencies ?? {}).filter((d) => !d.startsWith('@smelt/')).map((d) => locate(d, dir)));
  while (queue.length > 0) {
    const dir = queue.pop()!;
    const m = readManifest(dir);
    const key = `${m.name}@${m.version}`;
    if (seen.has(key)) continue;
    const stage = fs.mkdtempSync(path.join(out, '.stage-'));
    fs.cpSync(dir, path.join(stage, 'package'), { recursive: true, dereference: true });
    const file = path.join(out, `${m.name.replace('@', '').replace('/', '-')}-${m.version}.tgz`);
    execFileSync('tar', ['-czf', file, '-C', stage, 'package']);
    fs.rmSync(stage, { recursive: true, force: true });
    seen.set(key, file);
    for (const d of Object.keys(m.dependencies ?? {})) queue.push(locate(d, dir));
  }
  return [...seen.values()].sort();
}
