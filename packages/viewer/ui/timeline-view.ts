// A profiled run as a timeline: the kernels one after another on a time axis (bar widths are
// their times), coloured by kind, and a table of the slowest.

import type { CompileTrace } from '@smelt/compiler';
import { bytes, el, human, hue, svg } from './dom.ts';

export interface Profile {
  readonly backend: string;
  readonly ms: number;
  readonly kernels: readonly { readonly index: number; readonly label: string; readonly ms: number }[];
}

export function drawTimeline(trace: CompileTrace, profile: Profile): HTMLElement {
  const total = profile.kernels.reduce((s, k) => s + k.ms, 0) || 1;
  const width = 960, lane = 28;
  const pic = svg('svg', { width, height: lane + 24, viewBox: `0 0 ${width} ${lane + 24}`, 'data-test': 'timeline' });
  let at = 0;
  for (const k of profile.kernels) {
    const kind = trace.kernels[k.index]?.kind ?? 'kernel';
    const x = (at / total) * width, w = Math.max(1, (k.ms / total) * width);
    const bar = svg('rect', { x, y: 4, width: w, height: lane, fill: hue(kind), stroke: '#445', 'stroke-width': 0.3 });
    bar.append(svg('title', {}, `kernel ${k.index} (${kind}) ${k.label}: ${k.ms.toFixed(3)} ms`));
    pic.append(bar);
    at += k.ms;
  }
  const axis = svg('text', { x: 0, y: lane + 20, 'font-size': 11 });
  axis.textContent = `0 … ${total.toFixed(2)} ms of kernels (${profile.kernels.length} kernels)`;
  pic.append(axis);
  const slowest = [...profile.kernels].sort((a, b) => b.ms - a.ms).slice(0, 12);
  const table = el('table', { class: 'kernels' },
    el('tr', {}, el('th', {}, '#'), el('th', { class: 'l' }, 'kind'), el('th', { class: 'l' }, 'label'), el('th', {}, 'ms'), el('th', {}, 'FLOPs'), el('th', {}, 'bytes')));
  for (const k of slowest) {
    const t = trace.kernels[k.index];
    table.append(el('tr', {}, el('td', {}, String(k.index)), el('td', { class: 'l' }, t?.kind ?? ''), el('td', { class: 'l' }, k.label),
      el('td', {}, k.ms.toFixed(3)), el('td', {}, t ? human(t.flops, 'FLOP') : ''), el('td', {}, t ? bytes(t.bytes) : '')));
  }
  return el('div', { class: 'panel', 'data-test': 'timeline-panel' },
    el('p', {}, `${profile.backend}: ${profile.ms.toFixed(2)} ms for the profiled run (each kernel timed alone).`), pic,
    el('p', {}, 'Slowest kernels:'), table);
}
