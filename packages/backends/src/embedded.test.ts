// The sources embedded as text (scripts/embed.ts: the JS backend's runtime library, the WebGPU
// export's host, the wasm loader's helpers, @smelt/models' generation loop) are what the script
// makes of the files they come from: a source file edited without `pnpm embed` fails here, naming
// the stale output. And the script's rules: imports are cut, values must come from earlier embedded
// files or go unused (after `drop`), and the embedded files share one scope.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EMBEDDINGS, embeddedJavascript, staleEmbeddings } from '../scripts/embed.ts';

describe('embedded sources', () => {
  it('are up to date (run `pnpm embed` after editing the files they come from)', () => {
    expect(EMBEDDINGS.length).toBeGreaterThan(0);
    expect(staleEmbeddings()).toEqual([]);
  });
});

describe('the embedding rules', () => {
  const packages = fileURLToPath(new URL('../../', import.meta.url));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-embed-'));
  const root = `${path.relative(packages, dir)}/`;
  fs.writeFileSync(path.join(dir, 'a.ts'), 'export function helper(): number { return 1; }\n');
  fs.writeFileSync(path.join(dir, 'b.ts'), [
    "import { helper } from './a.ts';",
    "import { build, type Shape } from '@smelt/elsewhere';",
    'export class C {',
    '  /** Builds with what the block lacks. */',
    '  static make(): Shape { return build(); }',
    '  run(): number { return helper(); }',
    '}',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'dup.ts'), 'export const helper = 2;\n');
  fs.writeFileSync(path.join(dir, 'destructured.ts'), 'const { x: [helper] } = { x: [2] };\nexport const y = helper;\n');
  const embedding = (files: string[], drop?: Record<string, string[]>) => ({ root, out: 'x.ts', constant: 'X', about: 'test', files, exporting: ['b.ts'], drop });

  it('cuts imports and the dropped member; keeps the exporting file\'s export', () => {
    const js = embeddedJavascript(embedding(['a.ts', 'b.ts'], { 'b.ts': ['C.make'] }));
    expect(js).not.toMatch(/import|make|build|Builds/);
    expect(js).toContain('function helper()');
    expect(js).toContain('export class C');
  });

  it('refuses a value no earlier embedded file declares, naming it', () => {
    expect(() => embeddedJavascript(embedding(['a.ts', 'b.ts']))).toThrow("b.ts imports build from @smelt/elsewhere: an embedded file may use values only from files embedded before it");
    expect(() => embeddedJavascript(embedding(['b.ts'], { 'b.ts': ['C.make'] }))).toThrow('b.ts imports helper from ./a.ts');
    expect(() => embeddedJavascript(embedding(['a.ts', 'b.ts'], { 'b.ts': ['C.gone'] }))).toThrow('b.ts: drop names C.gone, which it does not declare');
  });

  it('refuses a name declared twice: the files share one scope', () => {
    expect(() => embeddedJavascript(embedding(['a.ts', 'dup.ts']))).toThrow('dup.ts declares helper, which an earlier embedded file declares');
    expect(() => embeddedJavascript(embedding(['a.ts', 'destructured.ts']))).toThrow('destructured.ts declares helper, which an earlier embedded file declares');
  });
});
