// The bench's data, generated once per workload and kept under bench/data/<id>/ (gitignored):
// workload.json (what was generated, from which definition), weights.safetensors (seeded),
// inputs.safetensors and expected.safetensors (smelt's reference interpreter on those inputs).
// A definition whose seed or shape changed since the files were written makes them be generated again
// (its title and engine limits do not touch the data).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Graph, type Tensor, numel, tensor } from '@smelt/ir';
import { readSafetensors, writeSafetensors } from '@smelt/ir/node';
import { referenceBackend } from '@smelt/backends';
import { buildSeq2Seq, weightsFor } from '@smelt/models';
import { type WorkloadDef, type WorkloadShape, workloadParts } from './defs.ts';
import { buildPartGraph, buildWeightsGraph } from './graphs.ts';
import { Random } from './random.ts';
import { type Tensors, runWorkload } from './run.ts';

/** Bump when the way data is generated changes, so old files are regenerated. */
const GENERATOR_VERSION = 1;
/** A greedy step whose best two logits are closer than this could flip between correct f32 engines. */
const GREEDY_MARGIN = 1e-2;

export const BENCH_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA_ROOT = path.join(BENCH_ROOT, 'data');

export interface WorkloadData {
  readonly weights: Map<string, Tensor>;
  readonly inputs: Map<string, Tensor>;
  readonly expected: Map<string, Tensor>;
}

export function workloadDir(id: string): string {
  return path.join(DATA_ROOT, id);
}

interface Stamp {
  readonly generator: number;
  readonly def: WorkloadDef;
  /** The seed that was used: seq2seq moves past seeds whose greedy steps are near ties. */
  readonly seed: number;
}

/** Xavier-like scales keep a deep post-norm stack well conditioned; LayerNorms get noise so a mistake there shows. */
function initWeight(rng: Random, name: string, shape: readonly number[]): Float32Array {
  const n = numel(shape);
  if (/(^|\.)norm\d*\.weight$/.test(name)) return rng.normals(n, 0.1, 1);
  if (/(^|\.)norm\d*\.bias$/.test(name)) return rng.normals(n, 0.1);
  if (name.endsWith('_embed.weight')) return rng.normals(n, 1 / Math.sqrt(shape[1]));
  if (shape.length === 2) return rng.normals(n, 1 / Math.sqrt(name === 'b' ? shape[0] : shape[1]));
  return rng.normals(n, 0.02);
}

function makeWeights(g: Graph, rng: Random): Map<string, Tensor> {
  return new Map(g.params.map((p) => {
    const shape = p.type.shape as number[];
    return [p.name!, tensor('f32', shape, initWeight(rng, p.name!, shape))];
  }));
}

function makeInputs(shape: WorkloadShape, rng: Random): Map<string, Tensor> {
  const f32 = (dims: number[]) => tensor('f32', dims, rng.normals(numel(dims)));
  switch (shape.kind) {
    case 'transformer': {
      const d = shape.config.dModel;
      return new Map([['src', f32([1, shape.srcLen, d])], ['tgt', f32([1, shape.tgtLen, d])]]);
    }
    case 'encoder-layer': return new Map([['src', f32([1, shape.seqLen, shape.config.dModel])]]);
    case 'gemm': return new Map([['a', f32([shape.m, shape.k])]]);
    case 'seq2seq-greedy': return new Map([['src', tensor('i32', [1, shape.srcLen], rng.ints(shape.srcLen, shape.config.srcVocab))]]);
    default: return shape satisfies never;
  }
}

async function reference(workload: WorkloadShape, weights: Tensors, inputs: Tensors): Promise<Map<string, Tensor>> {
  // Greedy tokens come from cached decoding either way (it equals the full prefix, tests/cached-decoding.test.ts;
  // the full prefix of greedy-128-base would take the interpreter many minutes); the engines are checked against them.
  const shape: WorkloadShape = workload.kind === 'seq2seq-greedy' ? { ...workload, decoding: 'cached' } : workload;
  const parts = await Promise.all(workloadParts(shape).map((p) => {
    const graph = buildPartGraph(p);
    return referenceBackend.compile(graph, weightsFor(graph, weights));
  }));
  return runWorkload(shape, parts, inputs);
}

/** The smallest gap between the best and second-best logit over the greedy steps (teacher-forced). */
async function greedyMargin(shape: WorkloadShape & { kind: 'seq2seq-greedy' }, weights: Tensors, inputs: Tensors, tokens: Tensor): Promise<number> {
  const t = tokens.data as Int32Array;
  const tgt = tensor('i32', [1, t.length - 1], t.slice(0, -1));
  const exe = await referenceBackend.compile(buildSeq2Seq(shape.config), weights);
  const logits = (await exe.run(new Map([['src', inputs.get('src')!], ['tgt', tgt]]))).get('logits')!.data as Float32Array;
  const vocab = shape.config.tgtVocab;
  let margin = Infinity;
  for (let pos = 0; pos < t.length - 1; pos++) {
    const row = Array.from(logits.subarray(pos * vocab, (pos + 1) * vocab)).sort((a, b) => b - a);
    margin = Math.min(margin, row[0] - row[1]);
  }
  return margin;
}

function readStamp(dir: string): Stamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'workload.json'), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function isCurrent(def: WorkloadDef, dir: string): boolean {
  const stamp = readStamp(dir);
  const files = ['weights', 'inputs', 'expected'].map((f) => path.join(dir, `${f}.safetensors`));
  const data = (d: WorkloadDef) => JSON.stringify({ seed: d.seed, shape: d.shape });
  return stamp?.generator === GENERATOR_VERSION && data(stamp.def) === data(def) && files.every((f) => fs.existsSync(f));
}

async function generate(def: WorkloadDef, dir: string, log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  for (let seed = def.seed; seed < def.seed + 50; seed++) {
    const rng = new Random(seed);
    const weights = makeWeights(buildWeightsGraph(def.shape), rng);
    const inputs = makeInputs(def.shape, rng);
    const expected = await reference(def.shape, weights, inputs);
    if (def.shape.kind === 'seq2seq-greedy') {
      const margin = await greedyMargin(def.shape, weights, inputs, expected.get('tokens')!);
      if (margin < GREEDY_MARGIN) {
        log(`  seed ${seed}: a greedy step is a near tie (margin ${margin.toExponential(2)}); trying the next seed`);
        continue;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    writeSafetensors(path.join(dir, 'weights.safetensors'), weights);
    writeSafetensors(path.join(dir, 'inputs.safetensors'), inputs);
    writeSafetensors(path.join(dir, 'expected.safetensors'), expected);
    const stamp: Stamp = { generator: GENERATOR_VERSION, def, seed };
    fs.writeFileSync(path.join(dir, 'workload.json'), `${JSON.stringify(stamp, null, 2)}\n`);
    log(`  generated ${path.relative(BENCH_ROOT, dir)} (seed ${seed}, reference outputs) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return;
  }
  throw new Error(`${def.id}: no seed in ${def.seed}..${def.seed + 49} gives clear greedy steps`);
}

/** Make sure the workload's files exist and match its definition; generate them otherwise. */
export async function ensureData(def: WorkloadDef, log: (line: string) => void): Promise<void> {
  const dir = workloadDir(def.id);
  if (isCurrent(def, dir)) return;
  log(`  ${def.id}: generating weights, inputs and reference outputs (smelt's reference interpreter)...`);
  await generate(def, dir, log);
}

export function loadData(id: string): WorkloadData {
  const dir = workloadDir(id);
  const read = (f: string) => readSafetensors(path.join(dir, `${f}.safetensors`));
  return { weights: read('weights'), inputs: read('inputs'), expected: read('expected') };
}
