// Standalone TypeScript files as JavaScript to inline into an exported model.js (which imports
// nothing): transpiled with the typescript package, imports of sibling standalone files dropped
// (the caller inlines those files beside it, in dependency order), and `export` keywords cut unless
// the file's exports are the module's own. Any other import is an error: it would not resolve there.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import type TypeScript from 'typescript';

const cache = new Map<string, string>();

/** `file` as JavaScript for model.js; `keepExports` keeps its `export` keywords (the module's API). */
export function standaloneJs(file: URL, keepExports = false): string {
  const key = `${file.href} ${keepExports}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  let js = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: false },
  }).outputText;
  js = js.replace(/^import [^;]*'(\.\.?\/)+[\w/-]+\.ts';\n/gm, '');
  if (!keepExports) js = js.replace(/^export /gm, '');
  const imports = js.match(/^(import|export \*|export \{[^}]*\} from)\s.*$/gm);
  if (imports) throw new Error(`internal: ${file.pathname} keeps an import in model.js: ${imports[0]}`);
  const text = `// ---- ${file.pathname.split('/src/').pop()} ----\n${js.trim()}\n`;
  cache.set(key, text);
  return text;
}
