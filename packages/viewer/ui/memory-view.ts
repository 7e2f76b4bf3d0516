// The memory plan as a picture: one row per arena slot, kernels left to right; each buffer is a
// bar from the kernel that writes it to the last that reads it, so buffers sharing a slot sit
// side by side in its row without overlapping.

import type { CompileTrace } from '@smelt/compiler';
import { bytes, el, hue, svg } from './dom.ts';

export function drawMemory(trace: CompileTrace): HTMLElement {
  const { slots, peakBytes, naiveBytes } = trace.memory;
  const kernels = Math.max(1, trace.kernels.length);
  const cell = Math.max(3, Math.min(24, Math.floor(900 / kernels)));
  const row = 20, left = 150, top = 24;
  const width = left + kernels * cell + 20, height = top + slots.length * row + 10;
  const pic = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-test': 'memory' });
  const every = Math.max(1, Math.ceil(40 / cell));
  for (let k = 0; k < kernels; k += every) {
    const t = svg('text', { x: left + k * cell, y: 14, 'font-size': 10 });
    t.textContent = String(k);
    pic.append(t, svg('line', { x1: left + k * cell, x2: left + k * cell, y1: 18, y2: height, stroke: '#eee' }));
  }
  slots.forEach((s, i) => {
    const y = top + i * row;
    const label = svg('text', { x: 4, y: y + 14, 'font-size': 11 });
    label.textContent = `slot ${s.id}: ${bytes(s.bytes)}`;
    pic.append(label);
    for (const b of s.buffers) {
      const last = Math.min(b.last, kernels - 1);
      const bar = svg('rect', { x: left + b.first * cell, y: y + 2, width: Math.max(2, (last - b.first + 1) * cell - 1), height: row - 4, fill: hue(`b${b.id}`), stroke: '#556' });
      bar.append(svg('title', {}, `buffer %${b.id}: ${bytes(b.bytes)}, written by kernel ${b.first}, last read by kernel ${b.last}`));
      pic.append(bar);
    }
  });
  const env = Object.entries(trace.env).map(([k, v]) => `${k}=${v}`).join(', ');
  return el('div', { class: 'panel' },
    el('p', {}, `Arena: ${slots.length} slots across ${trace.kernels.length} kernels; peak ${bytes(peakBytes)} vs ${bytes(naiveBytes)} without sharing (${((100 * peakBytes) / Math.max(1, naiveBytes)).toFixed(1)}%), at ${env || 'no symbols'}.`),
    pic);
}
