// What the tests of exported generators share (`smelt compile --graph generator`): a small seq2seq
// with eos and a source padding mask, a batch of 3 whose rows have different lengths, the three
// strategies with their options, what the in-process generator makes of them on the same backend
// (generate and stream), the script a fresh Node process or a page runs against the exported
// model.js, and the check of its tokens against the in-process ones; and of the bytes that cross
// between the host and the step part (`transfers`): per step only the tokens and the logits (webgpu:
// the token ids), never a cache, and the same counts as the in-process generator's (on webgpu, whose
// in-process generator submits each step ahead, what that moves per step instead).

import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { type Tensor, tensor } from '@smelt/ir';
import { getBackend } from '@smelt/backends';
import { writeSafetensors } from '@smelt/ir/node';
import { type GenerateOptions, type Seq2SeqConfig, Seq2SeqGenerator, buildSeq2Seq } from '@smelt/models';
import { randomWeights } from './fixtures.ts';

export const GEN_CONFIG: Seq2SeqConfig = {
  model: 'seq2seq', dModel: 16, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 24,
  activation: 'relu', layerNormEps: 1e-5, normFirst: false, srcVocab: 9, tgtVocab: 10, maxLen: 16, bos: 1, eos: 2, maxDecode: 8,
};

/** Three source rows, the last two padded at their ends. */
export const SOURCE = {
  src: tensor('i32', [3, 5], Int32Array.from([3, 4, 5, 6, 7, 8, 2, 6, 0, 0, 5, 5, 1, 3, 0])),
  srcPaddingMask: tensor('bool', [3, 5], Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1])),
};

export const STRATEGIES: readonly GenerateOptions[] = [
  {},
  { strategy: 'sample', seed: 11, temperature: 0.9, topK: 6, topP: 0.95 },
  { strategy: 'beam', numBeams: 3, lengthPenalty: 0.7 },
];

export interface Transfer {
  readonly toBackend: number;
  readonly fromBackend: number;
}

export interface Decoded {
  /** Per strategy: generate()'s tokens, i32 [batch, 1 + steps], as rows of numbers. */
  readonly generated: number[][][];
  /** Per strategy: stream()'s steps, each its tokens. */
  readonly streamed: number[][][];
  /** Per strategy: the bytes that crossed to and from the step part during generate(), and between stream()'s yields. */
  readonly transfers: { readonly generate: Transfer; readonly steps: Transfer[] }[];
}

export interface GeneratorModelDir {
  readonly dir: string;
  readonly config: string;
  readonly weights: string;
}

/** config.json and weights.safetensors of GEN_CONFIG (seeded random weights) in `dir`. */
export function writeGeneratorModel(dir: string): GeneratorModelDir {
  const config = path.join(dir, 'config.json');
  const weights = path.join(dir, 'weights.safetensors');
  fs.writeFileSync(config, JSON.stringify(GEN_CONFIG));
  writeSafetensors(weights, randomWeights(buildSeq2Seq(GEN_CONFIG), 21));
  return { dir, config, weights };
}

const rows = (t: Tensor) => Array.from({ length: t.shape[0] }, (_, r) => Array.from((t.data as Int32Array).subarray(r * t.shape[1], (r + 1) * t.shape[1])));

/** What the in-process generator on `backend` makes of every strategy. */
export async function decodeInProcess(backend: string, weights: ReadonlyMap<string, Tensor>): Promise<Decoded> {
  const gen = await Seq2SeqGenerator.compile(GEN_CONFIG, weights, getBackend(backend), {}, { srcPadding: true });
  const since = (t: Transfer): Transfer => ({ toBackend: gen.transfers.toBackend - t.toBackend, fromBackend: gen.transfers.fromBackend - t.fromBackend });
  try {
    const generated: number[][][] = [];
    const streamed: number[][][] = [];
    const transfers: Decoded['transfers'][number][] = [];
    for (const o of STRATEGIES) {
      const before = gen.transfers;
      generated.push(rows(await gen.generate(SOURCE, o)));
      const counts = { generate: since(before), steps: [] as Transfer[] };
      const steps: number[][] = [];
      let last = gen.transfers;
      for await (const s of gen.stream(SOURCE, o)) {
        steps.push(Array.from(s.tokens));
        counts.steps.push(since(last));
        last = gen.transfers;
      }
      streamed.push(steps);
      transfers.push(counts);
    }
    return { generated, streamed, transfers };
  } finally {
    gen.dispose();
  }
}

/** The JSON of SOURCE and STRATEGIES a child process or a page reads (cases.json). */
export function casesJson(): string {
  const t = (x: Tensor) => ({ dtype: x.dtype, shape: x.shape, data: Array.from(x.data as ArrayLike<number>) });
  return JSON.stringify({ src: t(SOURCE.src), srcPaddingMask: t(SOURCE.srcPaddingMask), strategies: STRATEGIES });
}

/**
 * JavaScript that, given `gen` (a loaded generator) and `cases` (casesJson parsed), sets `decoded`
 * (generate's rows and stream's steps per strategy) and `errors` (what a bad option and a missing
 * mask are told). Shared by the Node child and the page.
 */
export const DECODE_JS = `
const arrays = { i32: Int32Array, bool: Uint8Array };
const asTensor = (t) => ({ dtype: t.dtype, shape: t.shape, data: arrays[t.dtype].from(t.data) });
const source = { src: asTensor(cases.src), srcPaddingMask: asTensor(cases.srcPaddingMask) };
const decoded = { generated: [], streamed: [], transfers: [] };
const since = (t) => ({ toBackend: gen.transfers.toBackend - t.toBackend, fromBackend: gen.transfers.fromBackend - t.fromBackend });
for (const o of cases.strategies) {
  const before = gen.transfers;
  const t = await gen.generate(source, o);
  decoded.generated.push(Array.from({ length: t.shape[0] }, (_, r) => Array.from(t.data.subarray(r * t.shape[1], (r + 1) * t.shape[1]))));
  const counts = { generate: since(before), steps: [] };
  const steps = [];
  let last = gen.transfers;
  for await (const s of gen.stream(source, o)) {
    steps.push(Array.from(s.tokens));
    counts.steps.push(since(last));
    last = gen.transfers;
  }
  decoded.streamed.push(steps);
  decoded.transfers.push(counts);
}
const errors = [];
for (const [inputs, o] of [[source, { topP: 2 }], [{ src: source.src }, {}], [source, { strategy: 'beam', numBeams: 0 }]]) {
  errors.push(await gen.generate(inputs, o).then(() => 'ran', (e) => e.message));
}
`;

export const EXPECTED_ERRORS = [
  'generate: topP (--top-p) must be a number in (0, 1], got 2',
  'generate: this export takes srcPaddingMask (compiled with --mask src): a bool tensor [batch, srcLen], 1 where the source is padding',
  'generate: numBeams (--beams) must be an integer in [1, 10] (tgtVocab), got 0',
];

/** The export's tokens equal the in-process generator's, for every strategy, whole and streamed. */
export function expectSameTokens(got: Decoded, want: Decoded, what: string): void {
  STRATEGIES.forEach((o, i) => {
    const name = `${what}, ${o.strategy ?? 'greedy'}`;
    expect(got.generated[i], `${name}: generate()`).toEqual(want.generated[i]);
    expect(got.streamed[i], `${name}: stream()`).toEqual(want.streamed[i]);
  });
}

export type GeneratorTarget = 'js' | 'wasm' | 'webgpu';

/**
 * What crosses per step after the first (the first also uploads the source's cross keys and values):
 * the tokens of the active rows in (webgpu sampling: and one f32 draw a row); out, the logits
 * (wasm), only the chosen ids (webgpu), or nothing (js, whose memory is the host's). A row is
 * active while its last token is not eos. No term grows with the cache.
 */
function perStep(target: GeneratorTarget, strategy: GenerateOptions['strategy'], active: number): Transfer {
  const sample = strategy === 'sample';
  switch (target) {
    case 'js': return { toBackend: 0, fromBackend: 0 };
    case 'wasm': return { toBackend: 4 * active, fromBackend: 4 * active * GEN_CONFIG.tgtVocab };
    case 'webgpu': return { toBackend: 4 * active * (sample ? 2 : 1), fromBackend: 4 * active };
    default: return target satisfies never;
  }
}

/**
 * What the in-process generator on WebGPU moves in a whole greedy or sampled generate(), from what
 * the export moves (`exported`): it submits each step before the one before is read back, its
 * tokens taken on the GPU from that step's choice (generator.ts `ahead`), so when in a run each
 * transfer lands is up to the device, but the totals are fixed. Steps after the first upload no
 * tokens; sampling uploads each step's draws when it goes ahead. After a row finished, the step that
 * went ahead with it is read back, dropped, and sent again (tokens from the host, new draws); so is
 * the one that went ahead after the last row finished, short of maxNewTokens.
 */
function aheadTotal(exported: Transfer, strategy: GenerateOptions['strategy'], steps: readonly number[][], maxNewTokens: number): Transfer {
  const sample = strategy === 'sample';
  const active = (s: number) => (s === 0 ? SOURCE.src.shape[0] : steps[s - 1].filter((t) => t !== GEN_CONFIG.eos).length);
  let to = exported.toBackend;
  let from = exported.fromBackend;
  for (let s = 1; s < steps.length; s++) {
    to -= 4 * active(s) * (sample ? 2 : 1);
    const again = active(s) < active(s - 1);
    if (sample) to += 4 * active(s - 1);
    if (again) {
      to += 4 * active(s) * (sample ? 2 : 1);
      from += 4 * active(s - 1);
    }
  }
  const last = steps.length;
  if (last < maxNewTokens) {
    if (sample) to += 4 * active(last - 1);
    from += 4 * active(last - 1);
  }
  return { toBackend: to, fromBackend: from };
}

/**
 * The export's caches stayed in the step part: each greedy and sampled step after the first moved
 * exactly `perStep`'s bytes, and every count (beam search's too) equals the in-process generator's;
 * on webgpu the in-process greedy and sampled generate() move `aheadTotal`'s bytes instead.
 */
export function expectResidentCaches(got: Decoded, want: Decoded, target: GeneratorTarget, what: string): void {
  const batch = SOURCE.src.shape[0];
  STRATEGIES.forEach((o, i) => {
    const name = `${what}, ${o.strategy ?? 'greedy'}`;
    const steps = got.streamed[i];
    const active = (s: number) => (s === 0 ? batch : steps[s - 1].filter((t) => t !== GEN_CONFIG.eos).length);
    if (target !== 'webgpu' || o.strategy === 'beam') expect(got.transfers[i], `${name}: bytes to and from the step part`).toEqual(want.transfers[i]);
    if (o.strategy === 'beam') return;
    expect(steps.length, name).toBeGreaterThan(2);
    for (let s = 1; s < steps.length; s++) {
      expect(got.transfers[i].steps[s], `${name}: step ${s} (${active(s)} active rows)`).toEqual(perStep(target, o.strategy, active(s)));
    }
    if (target !== 'webgpu') return;
    const inProcess = aheadTotal(got.transfers[i].generate, o.strategy, steps, o.maxNewTokens ?? GEN_CONFIG.maxDecode);
    expect(want.transfers[i].generate, `${name}: bytes to and from the step part in process`).toEqual(inProcess);
  });
}
