// The child process of endurance.test.ts, so each measurement has a process of its own: resident
// memory (RSS) is the process's, and a leak of one backend does not show up in another's numbers.
// `runs BACKEND N`: W-small (d256, 4 heads, 3+3 layers, ff 1024) compiled once, WARMUP runs, then N
// runs. `cycles BACKEND N`: a smaller Transformer compiled, run and disposed WARMUP_CYCLES times,
// then N more. Both print one JSON line: RSS (MB) after the warm-up and at the end, and a checksum
// of the last outputs.
// `long BACKEND LEN`: one run of W-small at source and target length LEN; prints the output shape
// and whether every element is finite, or the error.

import { getBackend } from '@smelt/backends';
import { type Tensor, tensor } from '@smelt/ir';
import { buildModel, initWeights } from '@smelt/models';

const WARMUP = 5;
/**
 * Cycles before the first measurement: on wasm, RSS climbs for the first 10-15 compile/dispose
 * cycles while V8 and the allocator settle, then stays flat (measured to 40 cycles, three
 * processes: +0-1 MB after cycle 15); measured after 5 cycles it read 4-5% low now and then.
 */
const WARMUP_CYCLES = 15;
const W_SMALL = { model: 'torch-transformer', dModel: 256, nHead: 4, numEncoderLayers: 3, numDecoderLayers: 3, dimFeedforward: 1024, activation: 'relu', layerNormEps: 1e-5, normFirst: false } as const;
const SMALL = { ...W_SMALL, dModel: 64, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 256 } as const;

function inputsFor(d: number, len: number): Map<string, Tensor> {
  const make = () => tensor('f32', [1, len, d], Float32Array.from({ length: len * d }, (_, i) => Math.sin(i * 0.11)));
  return new Map([['src', make()], ['tgt', make()]]);
}

/** RSS after collecting garbage a few times, with pauses for finalizers (Dawn frees native objects in them). */
async function rssMB(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss / 2 ** 20;
}
const checksum = (out: Map<string, Tensor>) => [...out.values()].reduce((s, t) => s + (t.data as Float32Array).reduce((a, x) => a + x, 0), 0);

async function runs(backend: string, n: number): Promise<object> {
  const graph = buildModel(W_SMALL);
  const exe = await getBackend(backend).compile(graph, initWeights(graph, 1));
  const inputs = inputsFor(W_SMALL.dModel, 8);
  for (let i = 0; i < WARMUP; i++) await exe.run(inputs);
  const before = await rssMB();
  let out = await exe.run(inputs);
  for (let i = 1; i < n; i++) out = await exe.run(inputs);
  const after = await rssMB();
  exe.dispose();
  return { before, after, checksum: checksum(out) };
}

async function cycles(backend: string, n: number): Promise<object> {
  const graph = buildModel(SMALL);
  const weights = initWeights(graph, 1);
  const inputs = inputsFor(SMALL.dModel, 8);
  let before = 0, sum = 0;
  for (let i = 0; i < WARMUP_CYCLES + n; i++) {
    if (i === WARMUP_CYCLES) before = await rssMB();
    const exe = await getBackend(backend).compile(graph, weights);
    sum = checksum(await exe.run(inputs));
    exe.dispose();
  }
  return { before, after: await rssMB(), checksum: sum };
}

async function long(backend: string, len: number): Promise<object> {
  const graph = buildModel(W_SMALL);
  const exe = await getBackend(backend).compile(graph, initWeights(graph, 1), backend === 'wasm' ? { threads: 2 } as object : {});
  try {
    const out = (await exe.run(inputsFor(W_SMALL.dModel, len))).get('out')!;
    return { shape: out.shape, finite: (out.data as Float32Array).every(Number.isFinite) };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    exe.dispose();
  }
}

const [mode, backend, count] = process.argv.slice(2);
const result = await (mode === 'runs' ? runs : mode === 'cycles' ? cycles : long)(backend, Number(count));
console.log(JSON.stringify(result));
process.exit(0);
