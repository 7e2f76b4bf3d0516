// smelt for the browser in one file: @smelt/ir, @smelt/compiler and @smelt/backends (the reference,
// js, wasm and webgpu backends, all registered) as the namespaces `ir`, `compiler` and `backends` of
// one minified ES module, built by esbuild for the browser platform, where any node: import is an
// error. `pnpm bundle [FILE]` writes it (default out/smelt.browser.js) and prints its size, and the
// size of the same bundle with @smelt/onnx (namespace `onnx`: the ONNX importer and exporter with
// protobufjs), which the playground loads lazily as a chunk of its own; tests/browser-bundle.test.ts
// builds both, checks them and runs the first in headless Chromium.

import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ENTRY = `export * as ir from '@smelt/ir';
export * as compiler from '@smelt/compiler';
export * as backends from '@smelt/backends';
`;

export interface BrowserBundle {
  readonly code: Uint8Array;
  readonly gzipBytes: number;
  /** Every import in the bundle's inputs that names a Node built-in (none, or the build would have failed). */
  readonly nodeImports: readonly string[];
  /** The files bundled, relative to the repository root. */
  readonly inputs: readonly string[];
}

const BUILTINS = new Set(builtinModules);

/** The bundle; with `onnx`, @smelt/onnx too (as `onnx`). */
export async function buildBrowserBundle(options: { readonly onnx?: boolean } = {}): Promise<BrowserBundle> {
  const result = await esbuild.build({
    // Resolved from tests/, whose package depends on every smelt package.
    stdin: { contents: options.onnx ? `${ENTRY}export * as onnx from '@smelt/onnx';\n` : ENTRY, resolveDir: path.join(ROOT, 'tests'), sourcefile: 'smelt.browser.js', loader: 'js' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, metafile: true, logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
  return {
    code,
    gzipBytes: zlib.gzipSync(code, { level: 9 }).length,
    nodeImports: imports.filter((p) => p.startsWith('node:') || BUILTINS.has(p)),
    inputs: Object.keys(result.metafile.inputs).map((f) => path.relative(ROOT, path.resolve(ROOT, f))),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'out', 'smelt.browser.js'));
  const bundle = await buildBrowserBundle();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, bundle.code);
  const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  process.stdout.write(`bundle: wrote ${path.relative(process.cwd(), out)}: ${kB(bundle.code.length)} minified, ${kB(bundle.gzipBytes)} gzip, ${bundle.inputs.length} files\n`);
  const withOnnx = await buildBrowserBundle({ onnx: true });
  process.stdout.write(`bundle: with @smelt/onnx (not written): ${kB(withOnnx.code.length)} minified, ${kB(withOnnx.gzipBytes)} gzip (+${kB(withOnnx.gzipBytes - bundle.gzipBytes)}), ${withOnnx.inputs.length} files\n`);
}
