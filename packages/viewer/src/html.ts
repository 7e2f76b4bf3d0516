// The standalone viewer page of `smelt inspect --format html`: one HTML file holding the bundled
// viewer script and the compile trace as JSON, opened from disk with nothing else. Everything a
// model names (tensor, weight and graph names) reaches the page only inside the JSON, with every
// `<`, `>`, `&` and U+2028/2029 escaped, so no name can end the script element; the viewer puts
// names in the page as text, never as markup.

import type { CompileTrace } from '@smelt/compiler';
import { compactTrace } from './compact.ts';
import { VIEWER_JS } from './viewer-bundle.ts';

/** JSON that is safe inside a <script> element: no `<`, `>` or `&` characters at all. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text for HTML element content or a quoted attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The whole page. */
export function viewerHtml(trace: CompileTrace): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>smelt: ${escapeHtml(trace.graph)}</title>`,
    '</head>',
    '<body style="margin:12px">',
    `<h2 style="font:600 16px system-ui,sans-serif">smelt inspect: graph ${escapeHtml(JSON.stringify(trace.graph))}</h2>`,
    '<div id="smelt-viewer"></div>',
    `<script type="application/json" id="smelt-trace">${scriptSafeJson(compactTrace(trace))}</script>`,
    `<script>${VIEWER_JS}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
