// The viewer: tabs for the pass pipeline (step list, the graph of a step, the selected node's
// details, the step's IR text, and a before/after view of one pass), the memory plan, and the
// timeline of a profiled run. Mounted by the playground and by the standalone HTML of
// `smelt inspect --format html`.

import type { CompileTrace, TraceNode, TraceStep } from '@smelt/compiler';
import { type Mark, defaultCollapsed, diffSteps, visibleGraph } from '../src/graph-model.ts';
import { bytes, el, human } from './dom.ts';
import { drawGraph } from './graph-view.ts';
import { drawMemory } from './memory-view.ts';
import { addStyle } from './style.ts';
import { type Profile, drawTimeline } from './timeline-view.ts';

export type Tab = 'passes' | 'memory' | 'timeline';

export interface ViewerHandle {
  showStep(step: number): void;
  select(node: number | undefined): void;
  setCompare(on: boolean): void;
  showTab(tab: Tab): void;
  setProfile(profile: Profile): void;
}

export interface ViewerOptions {
  /** Show the timeline tab (a page that can run the model). */
  readonly timeline?: boolean;
}

export function mountViewer(root: HTMLElement, trace: CompileTrace, options: ViewerOptions = {}): ViewerHandle {
  addStyle();
  root.replaceChildren();
  root.classList.add('smelt-viewer');
  let stepIndex = trace.steps.length - 1;
  let selected: number | undefined;
  let compare = false;
  let tab: Tab = 'passes';
  let profile: Profile | undefined;
  const collapsedByStep = new Map<number, Set<string>>();
  const collapsed = (i: number) => {
    let c = collapsedByStep.get(i);
    if (!c) collapsedByStep.set(i, (c = defaultCollapsed(trace.steps[i], trace.steps[0])));
    return c;
  };

  const tabs = el('div', { class: 'tabs' });
  const body = el('div', {});
  root.append(tabs, body);
  const tabNames: [Tab, string][] = [['passes', 'Passes'], ['memory', 'Memory plan'], ...(options.timeline ? [['timeline', 'Timeline'] as [Tab, string]] : [])];

  function renderTabs(): void {
    tabs.replaceChildren(...tabNames.map(([t, label]) => {
      const b = el('button', { class: t === tab ? 'on' : '', 'data-test': `tab-${t}` }, label);
      b.addEventListener('click', () => handle.showTab(t));
      return b;
    }));
  }

  function stepGraph(step: TraceStep, index: number, marks: ReadonlyMap<number, Mark>): HTMLElement {
    const canvas = el('div', { class: 'canvas' });
    canvas.append(drawGraph(visibleGraph(step, collapsed(index), marks), selected, {
      onSelect: (id) => handle.select(id),
      onToggleLayer: (layer) => {
        const c = collapsed(index);
        if (c.has(layer)) c.delete(layer); else c.add(layer);
        render();
      },
    }));
    const sel = canvas.querySelector<SVGGElement>('g.sel');
    if (sel) queueMicrotask(() => sel.scrollIntoView({ block: 'center', inline: 'center' }));
    return canvas;
  }

  function details(step: TraceStep): HTMLElement {
    const n: TraceNode | undefined = step.nodes.find((x) => x.id === selected) ?? (selected !== undefined ? trace.steps[Math.max(0, stepIndex - 1)].nodes.find((x) => x.id === selected) : undefined);
    if (!n) return el('div', { class: 'details', 'data-test': 'details' }, 'Click an op for its attributes, types, FLOPs, bytes and the pass that made it.');
    const rows: [string, string][] = [
      ['op', n.op], ['made by', n.madeBy === 'built' ? 'the graph as built' : `${n.madeBy} (step ${n.madeAt})`],
      ...(n.layer ? [['layer', n.layer] as [string, string]] : []),
      ...Object.entries(n.attrs).map(([k, v]) => [`attr ${k}`, v] as [string, string]),
      ...n.inputs.map((v, i) => [`operand ${i}`, `${v.ref} : ${v.type}`] as [string, string]),
      ...n.outputs.map((v, i) => [`result ${i}`, `${v.ref} : ${v.type}`] as [string, string]),
      ['FLOPs', n.flops === undefined ? 'n/a (this step does not lower)' : human(n.flops, 'FLOP')],
      ['bytes', n.bytes === undefined ? 'n/a' : bytes(n.bytes)],
      ...(n.loc ? [['built at', n.loc] as [string, string]] : []),
    ];
    const env = Object.entries(trace.env).map(([k, v]) => `${k}=${v}`).join(', ');
    return el('div', { class: 'details', 'data-test': 'details' },
      el('table', {}, ...rows.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v)))),
      el('p', {}, `FLOPs and bytes at ${env || 'fixed shapes'}.`));
  }

  function irText(step: TraceStep): HTMLElement {
    const pre = el('pre', { class: 'ir', 'data-test': 'ir' });
    const line = step.nodes.find((x) => x.id === selected)?.line;
    let hl: HTMLElement | undefined;
    for (const text of step.text.split('\n')) {
      const div = el('div', {}, text || ' ');
      if (line !== undefined && text.trim().startsWith(line)) { div.className = 'hl'; hl = div; }
      pre.append(div);
    }
    if (hl) queueMicrotask(() => hl!.scrollIntoView({ block: 'nearest' }));
    return pre;
  }

  function passes(): HTMLElement {
    const step = trace.steps[stepIndex];
    const list = el('div', { class: 'steps', 'data-test': 'steps' });
    trace.steps.forEach((s, i) => {
      const b = el('button', { class: [i === stepIndex ? 'on' : '', s.changed || i === 0 ? '' : 'same'].join(' '), 'data-step': String(i), title: `${s.phase}: ${s.nodes.length} nodes, ${s.ms.toFixed(2)} ms` },
        `${i}. ${s.pass}${s.changed ? ' *' : ''} (${s.nodes.length})`);
      b.addEventListener('click', () => handle.showStep(i));
      list.append(b);
    });
    const toggle = el('input', { type: 'checkbox', 'data-test': 'compare' });
    toggle.checked = compare;
    toggle.disabled = stepIndex === 0;
    toggle.addEventListener('change', () => handle.setCompare(toggle.checked));
    const expandAll = el('button', {}, 'expand all layers');
    expandAll.addEventListener('click', () => { collapsed(stepIndex).clear(); render(); });
    const collapseAll = el('button', {}, 'collapse all layers');
    collapseAll.addEventListener('click', () => { collapsedByStep.delete(stepIndex); collapsedByStep.set(stepIndex, new Set(visibleLayers(step))); render(); });
    const toolbar = el('div', { class: 'toolbar' },
      el('strong', { 'data-test': 'step-title' }, `Step ${stepIndex}: ${step.pass}${stepIndex ? ` (${step.phase})` : ''}, ${step.nodes.length} ops${step.changed ? ', changed the graph' : stepIndex ? ', no change' : ''}`),
      el('label', {}, toggle, ' before/after this pass'), expandAll, collapseAll,
      el('span', { class: 'legend' }, el('span', { style: 'background:#c9f5cf' }, 'added'), el('span', { style: 'background:#ffd6d6' }, 'removed'),
        el('span', { style: 'background:#ffe8c2' }, 'changed'), el('span', { style: 'background:#fff3d6' }, 'fused group')));
    let graphs: HTMLElement;
    if (compare && stepIndex > 0) {
      const before = trace.steps[stepIndex - 1];
      const d = diffSteps(before, step);
      const count = (m: Map<number, Mark>, k: Mark) => [...m.values()].filter((x) => x === k).length;
      graphs = el('div', {},
        el('p', { 'data-test': 'diff-summary' }, `${step.pass}: ${count(d.after, 'added')} added, ${count(d.before, 'removed')} removed, ${count(d.after, 'changed')} changed`),
        el('div', { class: 'compare' },
          el('div', {}, el('h4', {}, `before (step ${stepIndex - 1}: ${before.pass})`), stepGraph(before, stepIndex - 1, d.before)),
          el('div', {}, el('h4', {}, `after (step ${stepIndex}: ${step.pass})`), stepGraph(step, stepIndex, d.after))));
    } else {
      graphs = stepGraph(step, stepIndex, new Map());
    }
    return el('div', {}, toolbar, el('div', { class: 'passes' }, list, graphs, el('div', { class: 'side' }, details(step), irText(step))));
  }

  function render(): void {
    renderTabs();
    if (tab === 'passes') body.replaceChildren(passes());
    else if (tab === 'memory') body.replaceChildren(drawMemory(trace), kernelTable(trace));
    else body.replaceChildren(profile ? drawTimeline(trace, profile) : el('p', { class: 'panel' }, 'Run the model to see each kernel\'s time.'));
  }

  const handle: ViewerHandle = {
    showStep(i) {
      stepIndex = Math.max(0, Math.min(trace.steps.length - 1, i));
      tab = 'passes';
      render();
    },
    select(id) { selected = id; render(); },
    setCompare(on) { compare = on; render(); },
    showTab(t) { tab = t; render(); },
    setProfile(p) { profile = p; render(); },
  };
  render();
  return handle;
}

function visibleLayers(step: TraceStep): string[] {
  return [...new Set(step.nodes.flatMap((n) => (n.layer === undefined ? [] : [n.layer])))];
}

/** The kernel plan as a table: kind, label, FLOPs and bytes at the trace's sizes. */
function kernelTable(trace: CompileTrace): HTMLElement {
  const table = el('table', { class: 'kernels', 'data-test': 'kernels' },
    el('tr', {}, el('th', {}, '#'), el('th', { class: 'l' }, 'kind'), el('th', { class: 'l' }, 'label'), el('th', {}, 'FLOPs'), el('th', {}, 'bytes')));
  for (const k of trace.kernels) {
    table.append(el('tr', {}, el('td', {}, String(k.index)), el('td', { class: 'l' }, k.kind), el('td', { class: 'l' }, k.label), el('td', {}, human(k.flops, 'FLOP')), el('td', {}, bytes(k.bytes))));
  }
  return el('div', { class: 'panel' }, el('p', {}, `${trace.kernels.length} kernels per run, ${trace.prologue} more once at load; compiled in ${trace.compileMs.toFixed(1)} ms.`), table);
}
