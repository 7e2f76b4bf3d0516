// Test helpers for passes: IR text in, IR text out, with the verifier run on both sides.

import { parseGraph, printGraph, verifyGraph } from '@smelt/ir';
import { passByName } from './pipeline.ts';

/** Run one pass (by pipeline name) on IR text; returns the printed result and whether it changed. */
export function runPassOnText(pass: string, text: string): { text: string; changed: boolean } {
  const g = parseGraph(text);
  verifyGraph(g);
  const changed = passByName(pass).run(g);
  verifyGraph(g);
  return { text: printGraph(g), changed };
}

/** Dedent a template literal of IR text. */
export function ir(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((s, str, i) => s + str + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}
