// Driving Debian's Chromium with playwright-core for the page tests (the playground, the
// standalone viewer of `smelt inspect --format html`): launch it (WebGPU on SwiftShader where
// there is no GPU), and save screenshots under test-output/ that must not be blank.

import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { CHROMIUM, WEBGPU_FLAGS } from './browser.ts';

/** Where the page tests write their screenshots (ignored by git). */
export const TEST_OUTPUT = path.resolve(import.meta.dirname, '..', 'test-output');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-dev-shm-usage', ...WEBGPU_FLAGS] });
}

/** Collect the page's uncaught errors and console errors, to assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return errors;
}

/**
 * Save a full-page screenshot as `dir/name.png` and return the variance of its pixel values
 * (decoded in the page through a canvas); a blank screenshot (variance 0) is an error.
 */
export async function screenshot(page: Page, dir: string, name: string): Promise<number> {
  fs.mkdirSync(dir, { recursive: true });
  const png = await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  // Runs in the page (its DOM, not this file's types): decode the PNG and take the variance of the grey values.
  const variance = await page.evaluate(`(async (b64) => {
    const blob = await (await fetch('data:image/png;base64,' + b64)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const px = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let sum = 0, sq = 0, n = 0;
    for (let i = 0; i < px.length; i += 4) {
      const v = (px[i] + px[i + 1] + px[i + 2]) / 3;
      sum += v; sq += v * v; n++;
    }
    const mean = sum / n;
    return sq / n - mean * mean;
  })(${JSON.stringify(png.toString('base64'))})`) as number;
  if (!(variance > 0)) throw new Error(`screenshot ${name} is blank (pixel variance ${variance})`);
  return variance;
}
