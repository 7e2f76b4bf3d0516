// `smelt inspect --format html`: one standalone page holding the viewer and the compile trace.
// Its text keeps every name inside escaped JSON (hostile names of hostile-names.ts, `</script>`
// among them, cannot end the script element); opened from disk in Chromium (playwright-core) it
// shows the passes, a before/after view, a node's details and the memory plan, runs no injected
// code, and its screenshots (test-output/inspect-html/) are not blank.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { compileWithTrace } from '@smelt/compiler';
import { main } from '@smelt/cli';
import { type CompactTrace, expandTrace, viewerHtml } from '@smelt/viewer';
import { describeBrowser } from './browser.ts';
import { HTML_NASTY, NASTY, block } from './hostile-names.ts';
import { TEST_OUTPUT, launchChromium, pageErrors, screenshot } from './playwright.ts';

const SHOTS = path.join(TEST_OUTPUT, 'inspect-html');
const TOY = path.resolve(import.meta.dirname, '../examples/transformer/toy-reverse/config.json');

async function smelt(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

/** The page's JSON data, as the browser would read it. */
function dataOf(html: string): unknown {
  const m = /<script type="application\/json" id="smelt-trace">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error('no trace data in the page');
  return JSON.parse(m[1]);
}

const hostile = [NASTY, HTML_NASTY].map((names) => {
  const { trace } = compileWithTrace(block(names).graph);
  return { names, trace, html: viewerHtml(trace) };
});

describe('smelt inspect --format html', () => {
  it('--help lists it', async () => {
    const r = await smelt('inspect', '--help');
    expect(r.stdout).toContain('--format text|dot|json|html');
    expect(r.stdout).toMatch(/html: the graph viewer as one standalone page/);
  });

  it('writes one page: the viewer script and the trace of every pass', async () => {
    const r = await smelt('inspect', '--config', TOY, '--format', 'html');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout.match(/<script\b/g)).toHaveLength(2);
    expect(r.stdout.match(/<\/script>/g)).toHaveLength(2);
    const data = dataOf(r.stdout) as { graph: string; steps: { pass: string }[]; kernels: unknown[] };
    expect(data.graph).toBe('seq2seq');
    expect(data.steps[0].pass).toBe('built');
    expect(data.steps.map((s) => s.pass)).toContain('fuse-attention');
    expect(data.kernels.length).toBeGreaterThan(50);
  });

  it('keeps hostile names inside the escaped JSON: nothing ends the script element or opens a comment', () => {
    for (const { names, trace, html } of hostile) {
      expect(html.match(/<\/script/gi)).toHaveLength(2);
      expect(html.match(/<script/gi)).toHaveLength(2);
      expect(html).not.toContain('<!--');
      expect(html).not.toContain('<img');
      // The page reads back exactly the trace, every name intact.
      expect(expandTrace(dataOf(html) as CompactTrace)).toEqual(JSON.parse(JSON.stringify(trace)));
      expect(trace.graph).toBe(names.graph);
      // The title is the one other place a name appears: as escaped text.
      expect(/<title>([^<]*)<\/title>/.exec(html)![1]).not.toMatch(/[<>"]/);
    }
  });
});

describeBrowser('the standalone viewer in Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-inspect-html-'));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens from disk and shows the passes, a before/after view, node details and the memory plan', { timeout: 180_000 }, async () => {
    const r = await smelt('inspect', '--config', TOY, '--format', 'html');
    const file = path.join(dir, 'graph.html');
    fs.writeFileSync(file, r.stdout);
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const errors = pageErrors(page);
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('svg[data-test=graph]');
    const steps = await page.$$eval('[data-test=steps] button', (bs) => bs.map((b) => b.textContent ?? ''));
    expect(steps[0]).toMatch(/^0\. built \(\d{3}\)$/);
    await screenshot(page, SHOTS, 'passes');
    const at = steps.findIndex((s) => s.includes('fuse-matmul-epilogue'));
    await page.click(`[data-step="${at}"]`);
    await page.check('[data-test=compare]');
    expect(await page.textContent('[data-test=diff-summary]')).toMatch(/^fuse-matmul-epilogue: [1-9]\d* added, [1-9]\d* removed/);
    await screenshot(page, SHOTS, 'before-after');
    await page.uncheck('[data-test=compare]');
    await page.locator('svg[data-test=graph] g.layer').first().click();
    await page.locator('svg[data-test=graph] g.op[data-node]', { hasText: 'linear' }).first().click();
    const details = await page.textContent('[data-test=details]');
    expect(details).toContain('made byfuse-matmul-epilogue');
    expect(details).toMatch(/bytes[\d.]+ (KiB|MiB|B)/);
    await screenshot(page, SHOTS, 'node-details');
    await page.click('[data-test=tab-memory]');
    expect(await page.locator('svg[data-test=memory] rect').count()).toBeGreaterThan(10);
    await screenshot(page, SHOTS, 'memory');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs no code from hostile names and shows them as text', { timeout: 120_000 }, async () => {
    for (const [i, { names, trace, html }] of hostile.entries()) {
      const file = path.join(dir, `hostile-${i}.html`);
      fs.writeFileSync(file, html);
      const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
      const errors = pageErrors(page);
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('svg[data-test=graph]');
      expect(await page.evaluate('globalThis.pwned')).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      // The title shows the name as text (browsers drop its control characters; its first 30 have none).
      expect((await page.title()).startsWith(`smelt: ${names.graph.slice(0, 30)}`)).toBe(true);
      // The IR text shows as text, line for line as the trace has it.
      const lines = await page.$$eval('[data-test=ir] > div', (ds) => ds.map((d) => d.textContent));
      expect(lines).toEqual(trace.steps.at(-1)!.text.split('\n').map((l) => l || ' '));
      await page.locator('svg[data-test=graph] g.op[data-node]').first().click();
      const details = await page.textContent('[data-test=details]');
      expect(details).toContain('operand 0');
      await screenshot(page, SHOTS, `hostile-${i}`);
      expect(errors).toEqual([]);
      await page.close();
    }
  });
});
