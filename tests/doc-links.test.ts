// Every link in the repository's Markdown (README, docs/, and the other .md files git tracks)
// resolves inside the repository: to a file or folder that exists under the root, and when it names
// an anchor, to a heading of that page. Links to the web or outside the checkout do not count as
// resolving, so the docs travel with the code.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

/** Markdown files git tracks, plus README.md and docs/*.md even before they are committed. */
function markdownFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '*.md', '**/*.md'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  return [...new Set(['README.md', ...docs, ...tracked])].filter((f) => fs.existsSync(path.join(ROOT, f))).sort();
}

/** Inline links `[text](target)` and reference definitions `[label]: target`, outside code. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/\]\(\s*(?:<([^>\n]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? m[2]);
  const references = [...prose.matchAll(/^\s*\[[^\]]+\]:\s*(?:<([^>\n]+)>|(\S+))/gm)].map((m) => m[1] ?? m[2]);
  return [...inline, ...references];
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => anchorOf(m[1])));
}

/** Why `target`, linked from `from` (relative to the root), does not resolve inside the repository; undefined when it does. */
function problem(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'links outside the repository';
  const [rawPath, anchor] = target.split('#', 2);
  const file = rawPath === '' ? path.join(ROOT, from) : path.resolve(path.dirname(path.join(ROOT, from)), decodeURIComponent(rawPath));
  if (path.relative(ROOT, file).startsWith('..') || path.isAbsolute(path.relative(ROOT, file))) return 'points outside the repository';
  if (!fs.existsSync(file)) return 'no such file';
  if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(anchor)) return `no heading #${anchor} there`;
  return undefined;
}

describe('documentation links', () => {
  it('finds inline and reference links, and GitHub anchors', () => {
    expect(linksOf('see [a](docs/A.md), [b](<x y.md> "t"), `[c](code.md)`\n[d]: ../e.md\n```\n[f](g.md)\n```')).toEqual(['docs/A.md', 'x y.md', '../e.md']);
    expect(anchorOf('Two ways in: the workspace and the `packages`')).toBe('two-ways-in-the-workspace-and-the-packages');
    expect(problem('README.md', '../shared/spec/transformer.md')).toBe('points outside the repository');
    expect(problem('README.md', 'https://example.com')).toBe('links outside the repository');
    expect(problem('README.md', 'docs/NOPE.md')).toBe('no such file');
    expect(problem('docs/FORMATS.md', '#no-such-heading')).toBe('no heading #no-such-heading there');
  });

  const files = markdownFiles();
  it('covers README.md and docs/', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/ARCHITECTURE.md', 'docs/FORMATS.md']));
  });

  it.each(files)('%s: every link resolves inside the repository', (file) => {
    const bad = linksOf(fs.readFileSync(path.join(ROOT, file), 'utf8'))
      .map((target) => [target, problem(file, target)] as const)
      .filter(([, why]) => why !== undefined)
      .map(([target, why]) => `${target}: ${why}`);
    expect(bad).toEqual([]);
  });
});
