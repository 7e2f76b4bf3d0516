// The JS backend's emitted module: deterministic text, a readable comment per kernel, an arena that
// is the memory plan's, and safety: names and labels full of quotes, backticks, `${}`, `*/`, line
// breaks and unicode only ever appear inside string literals and comments, so the module parses and
// computes exactly what the interpreter computes.

import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Graph, type Tensor, Var, input, interpret, nn, tensor } from '@smelt/ir';
import { arenaLayout, compileGraph } from '@smelt/compiler';
import { emitJs, loadJs } from '@smelt/backends';

function random(shape: number[], seed: number): Tensor {
  let s = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return tensor('f32', shape, data);
}

interface Names { graph: string; x: string; mask: string; w: string; b: string; ln: string; y: string; z: string }

/** A small block: linear(bias, relu), a masked softmax, LayerNorm with a residual; every name from `n`. */
function block(n: Names): { graph: Graph; weights: Map<string, Tensor>; inputs: (batch: number, seq: number) => Map<string, Tensor> } {
  const b = new GraphBuilder(n.graph);
  const x = input(b, n.x, 'f32', ['batch', 'seq', 16]);
  const mask = input(b, n.mask, 'bool', ['batch', 'seq']);
  const param = (name: string, shape: number[]) => new Var(b, b.param(name, 'f32', shape));
  const [w, bias] = [param(n.w, [16, 16]), param(n.b, [16])];
  const h = x.matmul(w, { transB: true }).add(bias).relu();
  const scores = h.matmul(h, { transB: true }).mul(0.25).add(nn.keyPaddingMask(mask).reshape(['batch', 1, 'seq']));
  const ctx = scores.softmax(-1).matmul(h);
  const ln = new nn.LayerNorm(new nn.Scope(b).child(n.ln), 16, 1e-5);
  b.output(n.y, ln.forward(ctx.add(x)).value);
  b.output(n.z, scores.max([-1]).value);
  const weights = new Map([[n.w, random([16, 16], 1)], [n.b, random([16], 2)], [`${n.ln}.weight`, random([16], 3)], [`${n.ln}.bias`, random([16], 4)]]);
  return {
    graph: b.graph, weights,
    inputs: (batch, seq) => new Map<string, Tensor>([
      [n.x, random([batch, seq, 16], 5 + seq)],
      [n.mask, tensor('bool', [batch, seq], Uint8Array.from({ length: batch * seq }, (_, i) => +(i % seq === seq - 1 && seq > 1)))],
    ]),
  };
}

const PLAIN: Names = { graph: 'plain', x: 'x', mask: 'mask', w: 'w', b: 'b', ln: 'ln', y: 'y', z: 'z' };
const EVIL = 'q"\'`${globalThis.pwned = 1}`*/ /* \n\r\u2028\u2029 é 字 🙂 \\';
const NASTY: Names = {
  graph: `g ${EVIL}`, x: `x ${EVIL}`, mask: `m*/${EVIL}`, w: `w\`}${EVIL}`, b: `"); throw 1; ("${EVIL}`,
  ln: `ln ${EVIL}`, y: `y ${EVIL}`, z: `__proto__`,
};

/** The module's syntax with every string literal blanked and comments dropped; throws on a syntax error. */
function skeleton(source: string): string {
  const check = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  if (check.diagnostics?.length) throw new Error(ts.flattenDiagnosticMessageText(check.diagnostics[0].messageText, '\n'));
  const sf = ts.createSourceFile('m.js', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const blank: ts.TransformerFactory<ts.SourceFile> = (ctx) => (root) => {
    const visit = (node: ts.Node): ts.Node => (ts.isStringLiteral(node) ? ctx.factory.createStringLiteral('S') : ts.visitEachChild(node, visit, ctx));
    return ts.visitNode(root, visit) as ts.SourceFile;
  };
  const [out] = ts.transform(sf, [blank]).transformed;
  return ts.createPrinter({ removeComments: true }).printFile(out);
}

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
    expect(source).toMatch(/\/\/ k0: linear\(bias, relu\) → f32\[batch, seq, 16\]/);
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
});
