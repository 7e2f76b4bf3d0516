// Small DOM helpers for the viewer. Text goes in through textContent and attributes through
// setAttribute only, never as markup, so no name from a model can become HTML.

type Child = Node | string | undefined | false;

/** An HTML element with attributes (strings) and children (nodes or text). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined && c !== false) e.append(c);
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (numbers or strings). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) if (c !== undefined && c !== false) e.append(c);
  return e;
}

/** 1234567 → "1.23 M" with a unit. */
export function human(n: number, unit: string): string {
  const steps: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of steps) if (n >= f) return `${(n / f).toFixed(2)} ${p}${unit}`;
  return `${n} ${unit}`;
}

/** Bytes in KiB/MiB. */
export function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A stable colour for a string (kernel kinds, buffers). */
export function hue(s: string): string {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 60% 72%)`;
}
