// The JS backend's emitted module: deterministic text, a readable comment per kernel, an arena that
// is the memory plan's, and safety: names and labels full of quotes, backticks, `${}`, `*/`, line
// breaks and unicode only ever appear inside string literals and comments, so the module parses and
// computes exactly what the interpreter computes.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, Var, input, interpret, tensor } from '@smelt/ir';
import { arenaLayout, compileGraph } from '@smelt/compiler';
import { emitJs, loadJs } from '@smelt/backends';
import { NASTY, PLAIN, block, random, skeleton } from './hostile-names.ts';

describe('JS emitter', () => {
  it('is deterministic: the same graph gives the same module text', () => {
    const a = emitJs(compileGraph(block(PLAIN).graph).plan);
    const b = emitJs(compileGraph(block(PLAIN).graph).plan);
    expect(b.source).toBe(a.source);
    expect(b.typescript).toBe(a.typescript);
    expect(emitJs(a.plan).source).toBe(a.source);
  });

  it('comments each kernel with the ops it fuses', () => {
    const { source } = emitJs(compileGraph(block(PLAIN).graph).plan);
    expect(source).toContain('// k0: linear: relu(add($0, $1)) → f32[batch, seq, 16]');
    expect(source).toMatch(/\/\/ k\d+: add_layer_norm → f32\[batch, seq, 16\], f32\[batch, seq, 16\]/);
    expect(source).toMatch(/\/\*\* matmul, epilogue relu\(add\(\$0, \$1\)\) \*\//);
    expect(source).toContain('const w');
    expect(source).toContain('// "w" f32[16, 16]');
  });

  it('lays out one arena exactly as the memory plan does, per symbol values', async () => {
    const c = block(PLAIN);
    const plan = compileGraph(c.graph).plan;
    const exe = await loadJs(emitJs(plan), c.weights);
    for (const [batch, seq] of [[1, 3], [2, 9]]) {
      const env = new Map([['batch', batch], ['seq', seq]]);
      const want = arenaLayout(plan, env);
      const layout = exe.model.layout(plan.symbols.map((s) => env.get(s)!));
      expect(layout.arena.byteLength).toBe(want.size);
      for (const [id, offset] of want.offsets) expect((layout[`b${id}`] as Float32Array).byteOffset, `buffer ${id}`).toBe(offset);
      expect(exe.model.layout(plan.symbols.map((s) => env.get(s)!))).toBe(layout);
    }
  });

  it('keeps every name inside string literals and comments (safety)', () => {
    const plain = emitJs(compileGraph(block(PLAIN).graph).plan);
    const nasty = emitJs(compileGraph(block(NASTY).graph).plan);
    expect(skeleton(nasty.source)).toBe(skeleton(plain.source));
    // The form loadJs evaluates: the same code as a function body.
    const asFunction = (body: string) => skeleton(`export function f() {\n${body}\n}`);
    expect(asFunction(nasty.functionBody)).toBe(asFunction(plain.functionBody));
  });

  it('emits a module that parses and computes exactly what the interpreter does, whatever the names', async () => {
    const c = block(NASTY);
    const exe = await loadJs(emitJs(compileGraph(c.graph).plan), c.weights);
    for (const [batch, seq] of [[2, 5], [1, 1]]) {
      const inputs = c.inputs(batch, seq);
      const want = interpret(c.graph, inputs, c.weights);
      const got = await exe.run(inputs);
      expect([...got.keys()]).toEqual([NASTY.y, NASTY.z]);
      for (const [name, t] of want) {
        expect(got.get(name)!.shape).toEqual(t.shape);
        const [g, w] = [got.get(name)!.data as Float32Array, t.data as Float32Array];
        for (let i = 0; i < w.length; i++) expect(Math.abs(g[i] - w[i]) <= 1e-6 * Math.max(1, Math.abs(w[i])) || Object.is(g[i], w[i]), `${i}: ${g[i]} vs ${w[i]}`).toBe(true);
      }
    }
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });

  it('names a missing weight, and runs inputs given as an object too', async () => {
    const c = block(PLAIN);
    const art = emitJs(compileGraph(c.graph).plan);
    const partial = new Map(c.weights);
    partial.delete('b');
    await expect(loadJs(art, partial)).rejects.toThrow(/missing weight "b": expected f32\[16\]/);
    const exe = await loadJs(art, c.weights);
    const out = exe.model.run(Object.fromEntries(c.inputs(1, 4)));
    expect(out.y.shape).toEqual([1, 4, 16]);
    expect(() => exe.model.run({ x: c.inputs(1, 4).get('x')!, mask: tensor('bool', [1, 5]) })).toThrow(/input "mask": expected shape \[batch, seq\], got \[1, 5\] \(seq is already 4\)/);
  });

  it('packs a B that is a contiguous slice of a weight straight from the weight, and copies one read otherwise', async () => {
    const b = new GraphBuilder('slices');
    const x = input(b, 'x', 'f32', [2, 3, 8]);
    const y = input(b, 'y', 'f32', [2, 'n', 8]);
    const w = new Var(b, b.param('w', 'f32', [12, 8]));
    const w3 = new Var(b, b.param('w3', 'f32', [2, 6, 8]));
    b.output('q', x.matmul(w.slice(0, 0, 4), { transB: true }).value); // rows 0-3 of w, transposed B
    b.output('kv', y.matmul(w.slice(0, 4, 8), { transB: true }).value); // rows 4-11
    b.output('r', y.matmul(w.slice(0, 2, 8)).value); // rows 2-9 as a plain B
    const shared = w.slice(0, 1, 8); // also an output: it must exist as an array
    b.output('s', y.matmul(shared).value);
    b.output('part', shared.value);
    b.output('batched', x.matmul(w3.slice(1, 1, 3), { transB: true }).value); // rows 1-3 of each of 2 matrices: not one run
    const art = emitJs(compileGraph(b.graph).plan);
    expect(art.source).toMatch(/packWeight\(w\d+, \[4, 8\], true, 0\)/);
    expect(art.source).toMatch(/packWeight\(w\d+, \[8, 8\], true, 32\)/);
    expect(art.source).toMatch(/packWeight\(w\d+, \[8, 8\], false, 16\)/);
    expect(art.source.match(/not run \(its matmul packs B from the source\)/g)).toHaveLength(3);
    expect(art.source.match(/packWeight\(d\d+, /g)).toHaveLength(2); // the shared slice and the batched one, copied first
    const weights = new Map([['w', random([12, 8], 11)], ['w3', random([2, 6, 8], 12)]]);
    const exe = await loadJs(art, weights);
    const inputs = new Map([['x', random([2, 3, 8], 13)], ['y', random([2, 5, 8], 14)]]);
    const want = interpret(b.graph, inputs, weights);
    const got = await exe.run(inputs);
    for (const [name, t] of want) {
      const [g, v] = [got.get(name)!.data as Float32Array, t.data as Float32Array];
      expect(got.get(name)!.shape, name).toEqual(t.shape);
      for (let i = 0; i < v.length; i++) expect(Math.abs(g[i] - v[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v[i])));
    }
  });
});
