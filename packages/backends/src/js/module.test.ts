// The emitted module's TypeScript (its own part, typed against the runtime library js/runtime/*.ts)
// type-checks under strict settings: generated kernels, runtime library and createModel agree on
// every type. The JavaScript that runs is the same text with the types dropped (typed-source.ts).

import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, Var, concat, gather, input, nn, targetHelpers } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { EMBEDDINGS, embeddedTypescript } from '../../scripts/embed.ts';
import { emitJs } from './emit.ts';

function sampleGraph() {
  const b = new GraphBuilder('typed');
  const ids = input(b, 'ids', 'i64', ['batch', 'seq']);
  const pad = input(b, 'pad', 'bool', ['batch', 'seq']);
  const table = new Var(b, b.param('table', 'f32', [11, 8]));
  const e = gather(table, ids, 0);
  const h = new nn.Linear(new nn.Scope(b).child('proj'), 8, 8).forward(e).relu();
  const mask = nn.keyPaddingMask(pad).reshape(['batch', 1, 'seq']);
  const y = h.matmul(h, { transB: true }).add(mask).softmax(-1).matmul(h);
  b.output('y', y.gelu('tanh').value);
  b.output('ids16', ids.cast('f32').cast('f16').value);
  b.output('top', y.argmax(-1).value);
  b.output('sum', concat([y.sum([1]), y.max([1])], -1).value);
  b.output('t', y.transpose([0, 2, 1]).value);
  return b.graph;
}

/** tsc's diagnostics for one in-memory file. */
function typeErrors(text: string): string[] {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === 'model.ts' ? ts.createSourceFile(name, text, lang) : read(name, lang, ...rest));
  const program = ts.createProgram(['model.ts'], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('emitted TypeScript', () => {
  const runtime = EMBEDDINGS.find((e) => e.constant === 'RUNTIME_JS')!;
  /** The expression-op records' JS helpers, which the module's kernels call (js/module.ts puts them first). */
  const helpers = targetHelpers('js').map((h) => h.source).join('\n\n');

  it('type-checks strictly', () => {
    const art = emitJs(compileGraph(sampleGraph()).plan);
    expect(typeErrors(`${helpers}\n\n${embeddedTypescript(runtime)}\n\n${art.typescript}`)).toEqual([]);
  });

  it('would catch a generated call that disagrees with the runtime', () => {
    const art = emitJs(compileGraph(sampleGraph()).plan);
    const broken = art.typescript.replace(/gemm\d+\(L\.k\d+, /, '$&1, ');
    expect(broken).not.toBe(art.typescript);
    expect(typeErrors(`${helpers}\n\n${embeddedTypescript(runtime)}\n\n${broken}`)).not.toEqual([]);
  });
});
