// Finds the user's file:line for an error: the first stack frame outside smelt's own IR package
// (ops, builder, nn layers; its tests count as user code), printed relative to the working directory.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const IR_SRC = path.dirname(fileURLToPath(import.meta.url));
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

function frameFile(raw: string): string {
  return raw.startsWith('file://') ? fileURLToPath(raw) : raw;
}

/** "examples/model.ts:12:9" for the innermost caller outside packages/ir/src, or undefined. */
export function userCallSite(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200; // nn layers nest deeply; the user's frame must not be cut off
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  Error.stackTraceLimit = limit;
  for (const line of stack) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = frameFile(m[1]);
    const internal = file.startsWith(IR_SRC + path.sep) && !file.endsWith('.test.ts');
    if (internal || file.startsWith('node:') || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    if (!path.isAbsolute(file)) continue;
    return `${path.relative(process.cwd(), file)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
