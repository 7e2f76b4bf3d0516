// A kept regression case as one text file: comment lines saying what was found and where, the
// graph's IR text (the contract), then every input and weight as a comment line holding its dtype,
// shape and values as JSON (non-finite values and -0 as strings, f16 as its bits), and the
// magnitude bound of each output. parseGraph reads the file as is (it skips comments); readCase
// reads the rest.

import { type DType, type Tensor, isDType, parseGraph, printGraph, tensor } from '@smelt/ir';
import type { ConcreteCase } from './concrete.ts';

const encode = (x: number) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : Object.is(x, -0) ? '-0' : x);
const decode = (x: number | string) => (typeof x === 'number' ? x : x === '-0' ? -0 : Number(x));

function tensorLine(kind: 'input' | 'weight', name: string, t: Tensor): string {
  const values = Array.from(t.data as ArrayLike<number | bigint>, (x) => encode(Number(x)));
  return `// ${kind} ${JSON.stringify(name)} ${t.dtype} ${JSON.stringify(t.shape)} = ${JSON.stringify(values)}`;
}

export function writeCase(c: ConcreteCase, header: readonly string[]): string {
  return [
    ...header.map((h) => `// ${h.replace(/\n/g, ' ')}`),
    printGraph(c.graph).trimEnd(),
    ...[...c.inputs].map(([k, t]) => tensorLine('input', k, t)),
    ...[...c.weights].map(([k, t]) => tensorLine('weight', k, t)),
    ...[...c.bounds].filter(([, b]) => Number.isFinite(b)).map(([k, b]) => `// bound ${JSON.stringify(k)} ${b}`),
    '',
  ].join('\n');
}

const TENSOR = /^\/\/ (input|weight) ("(?:[^"\\]|\\.)*") (\w+) (\[[\d, ]*\]) = (\[.*\])$/;
const BOUND = /^\/\/ bound ("(?:[^"\\]|\\.)*") (\S+)$/;

function parseTensor(dtype: string, shape: string, values: string, where: string): Tensor {
  if (!isDType(dtype)) throw new Error(`${where}: unknown dtype ${dtype}`);
  const t = tensor(dtype as DType, JSON.parse(shape) as number[]);
  const xs = (JSON.parse(values) as (number | string)[]).map(decode);
  if (xs.length !== t.data.length) throw new Error(`${where}: ${xs.length} values for shape ${shape}`);
  xs.forEach((x, i) => { if (t.data instanceof BigInt64Array) t.data[i] = BigInt(x); else (t.data as Float32Array)[i] = x; });
  return t;
}

/** A case file back as a concrete case; `file` names it in errors. */
export function readCase(text: string, file: string): ConcreteCase {
  const graph = parseGraph(text);
  const inputs = new Map<string, Tensor>(), weights = new Map<string, Tensor>(), bounds = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    const t = TENSOR.exec(line);
    if (t) (t[1] === 'input' ? inputs : weights).set(JSON.parse(t[2]) as string, parseTensor(t[3], t[4], t[5], `${file}:${i + 1}`));
    const b = BOUND.exec(line);
    if (b) bounds.set(JSON.parse(b[1]) as string, Number(b[2]));
  });
  return { graph, inputs, weights, bounds };
}
