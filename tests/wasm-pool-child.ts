// The child process of wasm-threads-failures.test.ts: one wasm executable on 2 threads — compiled
// in process (`api`) or an exported model.js loaded with load({ threads: 2 }) (`aot`) — alternating
// a run that traps (a computed gather index past the table, found by whichever thread owns that
// row) and a good run, PAIRS times. Prints one JSON line: the pairs done, the bad runs' messages,
// and the good runs that failed or differ from the first. A child, so that a hang (the calling
// thread blocked in a barrier) ends in the parent's timeout instead of blocking the test runner.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GraphBuilder, type Tensor, Var, gather, input, tensor } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { compileWasm } from '@smelt/backends';
import { exportWasm } from '@smelt/backends/node';

const PAIRS = 100;
const [ROWS, WIDTH, VOCAB] = [64, 64, 16];

/** h = gather(table, ids + ids) then two matmuls: kernels before and after the one that traps. */
function poolGraph(): { graph: GraphBuilder['graph']; weights: Map<string, Tensor> } {
  const b = new GraphBuilder('pool');
  const ids = input(b, 'ids', 'i32', ['n']);
  const x = input(b, 'x', 'f32', ['n', WIDTH]);
  const param = (name: string, shape: number[]) => new Var(b, b.param(name, 'f32', shape));
  const [table, w1, w2] = [param('table', [VOCAB, WIDTH]), param('w1', [WIDTH, WIDTH]), param('w2', [WIDTH, WIDTH])];
  const h = x.matmul(w1).relu().add(gather(table, ids.add(ids)));
  b.output('y', h.matmul(w2).value);
  const fill = (shape: number[], seed: number) => tensor('f32', shape, Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => Math.sin(i * 0.37 + seed) * 0.1));
  const weights = new Map([['table', fill([VOCAB, WIDTH], 1)], ['w1', fill([WIDTH, WIDTH], 2)], ['w2', fill([WIDTH, WIDTH], 3)]]);
  return { graph: b.graph, weights };
}

type Run = (inputs: Record<string, Tensor>) => Promise<Float32Array>;

async function runner(mode: string): Promise<{ run: Run; threads: number }> {
  const { graph, weights } = poolGraph();
  if (mode === 'api') {
    const exe = await compileWasm(graph, weights, { threads: 2 });
    return { run: async (inputs) => (await exe.run(inputs)).get('y')!.data as Float32Array, threads: exe.threads };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-pool-'));
  await exportWasm(compileGraph(graph).plan, weights, dir);
  const { load } = (await import(pathToFileURL(path.join(dir, 'model.js')).href)) as {
    load(o: { threads: number }): Promise<{ threads: number; run(i: Record<string, Tensor>): Record<string, Tensor> }>;
  };
  const model = await load({ threads: 2 });
  return { run: async (inputs) => model.run(inputs).y.data as Float32Array, threads: model.threads };
}

const { run, threads } = await runner(process.argv[2]);
const x = tensor('f32', [ROWS, WIDTH], Float32Array.from({ length: ROWS * WIDTH }, (_, i) => Math.cos(i * 0.11)));
const ids = (bad: boolean) => tensor('i32', [ROWS], Int32Array.from({ length: ROWS }, (_, i) => (bad && i === ROWS - 1 ? VOCAB : i % (VOCAB / 2))));
const want = await run({ ids: ids(false), x });
const badMessages = new Set<string>();
const goodFailures: string[] = [];
let pairs = 0;
for (; pairs < PAIRS; pairs++) {
  await run({ ids: ids(true), x }).then(() => badMessages.add('the bad run succeeded'), (e: Error) => badMessages.add(e.message));
  await run({ ids: ids(false), x }).then(
    (got) => { if (got.some((v, i) => v !== want[i])) goodFailures.push(`pair ${pairs}: different values`); },
    (e: Error) => goodFailures.push(`pair ${pairs}: ${e.message}`),
  );
}
process.stdout.write(`${JSON.stringify({ threads, pairs, badMessages: [...badMessages], goodFailures })}\n`);
process.exit(0);
