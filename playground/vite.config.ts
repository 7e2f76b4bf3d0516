// The playground's Vite config: the dev server and the preview send COOP/COEP, so the page is
// cross-origin isolated (SharedArrayBuffer, wasm threads); the build is a static site in dist/
// with relative paths, so it can be served from any folder.

import { defineConfig } from 'vite';

const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  server: { headers: ISOLATED, fs: { allow: ['..'] } },
  preview: { headers: ISOLATED },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 2000 },
});
