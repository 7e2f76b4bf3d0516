// The entry of the standalone viewer (`smelt inspect --format html`): the compile trace is a JSON
// script element of the page; this mounts the viewer on it. Bundled into src/viewer-bundle.ts.

import { type CompactTrace, expandTrace } from '../src/compact.ts';
import { mountViewer } from './viewer.ts';

const data = document.getElementById('smelt-trace');
const root = document.getElementById('smelt-viewer');
if (!data || !root) throw new Error('smelt viewer: the page has no #smelt-trace data or #smelt-viewer element');
const trace = expandTrace(JSON.parse(data.textContent ?? '') as CompactTrace);
(window as unknown as { smeltViewer: unknown }).smeltViewer = mountViewer(root, trace);
