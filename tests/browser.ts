// Headless Chromium for the tests that load an exported model in a browser: find the binary, serve
// a folder over loopback HTTP (cross-origin isolated or not, per page), open a page and wait for
// the JSON it POSTs to /result. Without Chromium the browser tests fail under CI=true (the test
// command installs it) and skip elsewhere, saying why.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describeIfAvailable } from './gate.ts';

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM = CANDIDATES.find((c): c is string => !!c && fs.existsSync(c));
const UNAVAILABLE = CHROMIUM ? undefined : `no Chromium (looked for ${CANDIDATES.filter(Boolean).join(', ')}; apt-get install chromium, or set CHROMIUM)`;

/** A describe that runs only with Chromium; without it, it fails in CI and skips (saying why) elsewhere. */
export function describeBrowser(name: string, body: () => void): void {
  describeIfAvailable('browser', 'Chromium', UNAVAILABLE, name, body);
}


/** Chromium's WebGPU without a GPU: SwiftShader behind the unsafe-WebGPU switch. */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream',
  '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/**
 * Serve `dir` on 127.0.0.1 (a random port): documents cross-origin isolated (COOP same-origin,
 * COEP require-corp) unless their name starts with "open"; a POST to /result goes to `onResult`.
 */
export async function serveFolder(dir: string, onResult: (v: unknown) => void = () => {}): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/result') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { res.end('ok'); onResult(JSON.parse(body)); });
      return;
    }
    const file = path.join(dir, path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ''));
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' };
    if (!path.basename(file).startsWith('open')) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/**
 * Serve `dir` on 127.0.0.1, open `page` in headless Chromium and resolve with what the page POSTs
 * to /result. Documents are served cross-origin isolated (COOP same-origin, COEP require-corp)
 * unless their name starts with "open".
 */
export async function runPage(dir: string, page: string, timeoutMs = 60_000, extraArgs: readonly string[] = []): Promise<unknown> {
  let chrome: ChildProcess | undefined;
  let stopChrome = async () => {};
  let settle!: (v: unknown) => void;
  const result = new Promise<unknown>((resolve) => { settle = resolve; });
  const { server, port } = await serveFolder(dir, settle);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-chromium-'));
  let timer: NodeJS.Timeout | undefined;
  try {
    chrome = spawn(CHROMIUM!, [
      '--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', `--user-data-dir=${profile}`, ...extraArgs,
      `http://127.0.0.1:${port}/${page}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    chrome.stderr!.on('data', (d) => { stderr += d; });
    const gone = new Promise<void>((resolve) => chrome!.on('exit', () => resolve()));
    stopChrome = async () => {
      try { process.kill(-chrome!.pid!, 'SIGKILL'); } catch { /* already gone */ }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    };
    const exited = new Promise<never>((_, reject) => chrome!.on('exit', (code) => reject(new Error(`chromium exited (${code}) before the page reported: ${stderr.slice(-2000)}`))));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the page did not report within ${timeoutMs} ms: ${stderr.slice(-2000)}`)), timeoutMs);
    });
    return await Promise.race([result, exited, timeout]);
  } finally {
    clearTimeout(timer);
    await stopChrome(); // the whole process group: Chromium's helpers write to the profile too
    server.close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}
