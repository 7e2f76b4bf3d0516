// The emitted module's TypeScript (what ts-morph builds, before transpiling) type-checks under
// strict settings: generated kernels, runtime library and createModel agree on every type.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, Var, concat, gather, input, nn } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { emitJs } from './emit.ts';
import { newProject } from './module.ts';

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

describe('emitted TypeScript', () => {
  it('type-checks strictly', () => {
    const art = emitJs(compileGraph(sampleGraph()).plan);
    const project = newProject();
    project.compilerOptions.set({ strict: true, noEmit: true, target: 99, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
    project.createSourceFile('model.ts', art.typescript);
    const problems = project.getPreEmitDiagnostics().map((d) => `${d.getLineNumber()}: ${project.formatDiagnosticsWithColorAndContext([d])}`);
    expect(problems).toEqual([]);
  });
});
