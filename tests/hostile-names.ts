// A small model whose every name (graph, inputs, weights, outputs, layer scopes) can be hostile:
// quotes, backticks, `${}`, `*/`, line breaks, U+2028/2029, control characters, unicode and `__proto__`, for the safety
// tests of generated code (HTML_NASTY: names aimed at an HTML page); and `skeleton`, a JS module's syntax with string literals blanked and
// comments dropped, so two modules that differ only in names inside strings compare equal.

import ts from 'typescript';
import { GraphBuilder, type Graph, type Tensor, Var, input, nn, tensor } from '@smelt/ir';

export function random(shape: number[], seed: number): Tensor {
  let s = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  return tensor('f32', shape, data);
}

export interface Names { graph: string; x: string; mask: string; w: string; b: string; ln: string; y: string; z: string }

/** A small block: linear(bias, relu), a masked softmax, LayerNorm with a residual; every name from `n`. */
export function block(n: Names): { graph: Graph; weights: Map<string, Tensor>; inputs: (batch: number, seq: number) => Map<string, Tensor> } {
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

export const PLAIN: Names = { graph: 'plain', x: 'x', mask: 'mask', w: 'w', b: 'b', ln: 'ln', y: 'y', z: 'z' };
export const EVIL = 'q"\'`${globalThis.pwned = 1}`*/ /* \n\r\u2028\u2029\u0001\u0002 é 字 🙂 \\';
export const NASTY: Names = {
  graph: `g ${EVIL}`, x: `x ${EVIL}`, mask: `m*/${EVIL}`, w: `w\`}${EVIL}`, b: `"); throw 1; ("${EVIL}`,
  ln: `ln ${EVIL}`, y: `y ${EVIL}`, z: `__proto__`,
};

/** For HTML pages (the standalone viewer): names that would end a script element, open a comment or inject markup. */
export const HTML_EVIL = '</script><script>globalThis.pwned = 3</script><!-- <img src=x onerror="globalThis.pwned = 4"> </SCRIPT >';
export const HTML_NASTY: Names = {
  graph: `g ${HTML_EVIL}`, x: `x ${HTML_EVIL} ${EVIL}`, mask: `</script>`, w: `w <!--${EVIL}`, b: `b ]]></style></title>${HTML_EVIL}`,
  ln: `ln ${HTML_EVIL}`, y: `y ${HTML_EVIL}`, z: `__proto__`,
};

/** The module's syntax with every string literal blanked and comments dropped; throws on a syntax error. */
export function skeleton(source: string): string {
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
