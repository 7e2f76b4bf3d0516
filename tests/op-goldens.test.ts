// The modern Transformer's ops against PyTorch: each golden of tests/goldens/ops (written by
// scripts/op_goldens.py, plain torch computing as Hugging Face's models do) is rebuilt with smelt's
// DSL and run on the interpreter and every available backend, optimized; floats agree to 1e-4,
// integers exactly. Every golden file needs a builder here, and every builder its file.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, type Var, conv1d, input, interpret, iota, repeatKv, rope, rotaryTables, where } from '@smelt/ir';
import { backendNames, getBackend } from '@smelt/backends';
import { readSafetensors } from '@smelt/ir/node';
import { GOLDEN_DIR } from './golden-util.ts';

const DIR = path.join(GOLDEN_DIR, 'ops');

type Build = (x: Record<string, Var>, b: GraphBuilder) => Record<string, Var>;

/** The smelt side of each golden: from its inputs (named as in the file) to its outputs (the file's `out_` names without the prefix). */
const BUILDERS: Record<string, Build> = {
  rope_half: ({ x }, b) => ({ y: rope(x, rotaryTables(b, { dim: 8, maxPositions: 16 }), { offset: 3 }) }),
  rope_interleaved_partial: ({ x, pos }, b) => ({ y: rope(x, rotaryTables(b, { dim: 4, maxPositions: 30, base: 500 }), { positions: pos, interleaved: true }) }),
  gqa: ({ q, k, v, pad }, b) => {
    const causal = iota(b, [5, 5], 1).gt(iota(b, [5, 5], 0));
    const mask = where(causal, -Infinity, 0).add(where(pad, -Infinity, 0).reshape([2, 1, 1, 5]));
    const probs = q.matmul(repeatKv(k, 4), { transB: true }).mul(0.5).add(mask).softmax(-1);
    return { y: probs.matmul(repeatKv(v, 4)) };
  },
  reduce_min: ({ x }) => ({ y: x.min([0, 2]), z: x.min([-1], true) }),
  argmax: ({ x }) => ({ y: x.argmax(-1), z: x.argmax(0) }),
  pad: ({ x }) => ({ y: x.pad([0, 0, 1], [0, 1, 2], 0.5), z: x.pad([1, 2, 0], [1, 0, 0]) }),
  cumsum: ({ x, n }) => ({ y: x.cumsum(1), rev: x.cumsum(0, { reverse: true }), excl: x.cumsum(1, { exclusive: true }), n: n.cumsum(0) }),
  topk: ({ x }) => {
    const [values, indices] = x.topk(4);
    const [smallValues, smallIndices] = x.topk(3, 0, false);
    return { values, indices, small_values: smallValues, small_indices: smallIndices };
  },
  conv1d: ({ x, w, b, w2 }) => ({ y: conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 }), z: conv1d(x, w2) }),
  swiglu: ({ x, w1, w3, w2 }) => ({ y: x.matmul(w1, { transB: true }).silu().mul(x.matmul(w3, { transB: true })).matmul(w2, { transB: true }) }),
};

const values = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

function expectClose(got: Tensor | undefined, want: Tensor, what: string): void {
  expect(got, `${what}: missing`).toBeDefined();
  expect([got!.dtype, got!.shape], `${what}: type`).toEqual([want.dtype, want.shape]);
  const [g, w] = [values(got!), values(want)];
  for (let i = 0; i < w.length; i++) {
    const ok = Object.is(g[i], w[i]) || (want.dtype === 'f32' && Math.abs(g[i] - w[i]) <= 1e-4);
    if (!ok) expect.fail(`${what}: element ${i} is ${g[i]}, PyTorch says ${w[i]} (shape [${want.shape}])`);
  }
}

function golden(name: string) {
  const tensors = readSafetensors(path.join(DIR, `${name}.safetensors`));
  const b = new GraphBuilder(name);
  const inputs = new Map([...tensors].filter(([k]) => !k.startsWith('out_')));
  const vars = Object.fromEntries([...inputs].map(([k, t]) => [k, input(b, k, t.dtype, t.shape)]));
  for (const [k, v] of Object.entries(BUILDERS[name](vars, b))) b.output(k, v.value);
  const expected = new Map([...tensors].filter(([k]) => k.startsWith('out_')).map(([k, t]) => [k.slice(4), t]));
  return { graph: b.graph, inputs, expected };
}

const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.safetensors')).map((f) => f.slice(0, -'.safetensors'.length)).sort();

describe('op goldens (PyTorch)', () => {
  it('every golden has a builder and every builder a golden', () => {
    expect(Object.keys(BUILDERS).sort()).toEqual(FILES);
  });

  it.each(Object.keys(BUILDERS))('%s: the interpreter equals PyTorch', (name) => {
    const g = golden(name);
    const got = interpret(g.graph, g.inputs, new Map());
    for (const [k, want] of g.expected) expectClose(got.get(k), want, `${name} ${k}`);
  });

  for (const backend of backendNames().filter((n) => n !== 'reference')) {
    it.each(Object.keys(BUILDERS))(`%s: ${backend} (optimized) equals PyTorch`, async (name) => {
      const why = await getBackend(backend).unavailableReason();
      if (why) return void console.warn(`[op-goldens] skipping ${backend}: ${why}`);
      const g = golden(name);
      const exe = await getBackend(backend).compile(g.graph, new Map());
      try {
        const got = await exe.run(g.inputs);
        for (const [k, want] of g.expected) expectClose(got.get(k), want, `${name} ${k} on ${backend}`);
      } finally {
        exe.dispose();
      }
    });
  }
});
