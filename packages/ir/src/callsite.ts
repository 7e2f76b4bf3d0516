// Finds the user's file:line for an error: the first stack frame outside smelt's own IR package
// (ops, builder, nn layers; its tests count as user code), printed relative to the working directory.
// Paths are compared as text (no node: modules), so the IR runs in a browser too; there frames are
// http: URLs, none counts as a local file, and errors carry no file:line.

/** A frame's file (a path or a file: URL) as a path with '/' separators, or undefined when it is not a local file. */
function localPath(raw: string): string | undefined {
  let p = raw;
  if (p.startsWith('file://')) {
    try {
      p = decodeURIComponent(new URL(p).pathname);
    } catch {
      return undefined;
    }
    if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1); // file:///C:/x → C:/x
  }
  p = p.replace(/\\/g, '/');
  return p.startsWith('/') || /^[A-Za-z]:\//.test(p) ? p : undefined;
}

/** This package's source (or dist) folder, ending in '/'; undefined outside a file system. */
const IR_DIR = localPath(import.meta.url)?.replace(/[^/]*$/, '');
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

/** `file` relative to the folder `dir` ('..' where it lies outside). */
function relativeTo(dir: string, file: string): string {
  const from = dir.split('/').filter(Boolean);
  const to = file.split('/').filter(Boolean);
  let same = 0;
  while (same < from.length && same < to.length - 1 && from[same] === to[same]) same++;
  return [...from.slice(same).map(() => '..'), ...to.slice(same)].join('/');
}

/** "examples/model.ts:12:9" for the innermost caller outside packages/ir/src, or undefined. */
export function userCallSite(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200; // nn layers nest deeply; the user's frame must not be cut off
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  Error.stackTraceLimit = limit;
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.();
  for (const line of stack) {
    const m = FRAME.exec(line.trim());
    const file = m ? localPath(m[1]) : undefined;
    if (!m || file === undefined) continue;
    const internal = IR_DIR !== undefined && file.startsWith(IR_DIR) && !file.endsWith('.test.ts');
    if (internal || file.includes('/node_modules/')) continue;
    const shown = cwd === undefined ? file : relativeTo(cwd.replace(/\\/g, '/'), file);
    return `${shown}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
