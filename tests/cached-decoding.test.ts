// Cached decoding equals full-prefix decoding on every backend: for 64 steps, each step's logits
// equal the teacher-forced logits at that position (1e-4) and the greedy tokens are identical;
// batch 3 with source padding; with an eos that rows reach at different steps, the tokens still
// equal full-prefix greedy decoding (finished rows drop out of the step batch). The caches stay in
// the backend between steps: per step only the tokens go in and the logits come out (counted by the
// executable's transfers; on js and the interpreter nothing is copied at all).

import { describe, expect, it } from 'vitest';
import { type Tensor, interpret, opCounts, tensor } from '@smelt/ir';
import { compileGraph } from '@smelt/compiler';
import { type Backend, type CompileOptions, WasmExecutable, backendNames, getBackend } from '@smelt/backends';
import {
  CachedDecoder, type Seq2SeqConfig, Seq2SeqGenerator, buildSeq2Seq, buildSeq2SeqEncode, buildSeq2SeqStep, parseConfig, weightsFor,
} from '@smelt/models';
import { randomWeights } from './fixtures.ts';

const STEPS = 64;
const CFG = parseConfig({
  model: 'seq2seq', dModel: 16, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 24, activation: 'gelu',
  layerNormEps: 1e-5, normFirst: false, srcVocab: 9, tgtVocab: 12, maxLen: STEPS + 1, bos: 1, maxDecode: STEPS,
}) as Seq2SeqConfig;
const WEIGHTS = randomWeights(buildSeq2Seq(CFG, { srcPadding: true }), 14);
const SRC = tensor('i32', [3, 5], Int32Array.from([3, 4, 5, 6, 7, 8, 2, 1, 0, 0, 2, 2, 6, 0, 0]));
const MASK = tensor('bool', [3, 5], Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]));

/** Greedy decoding by teacher forcing the whole prefix each step, on the interpreter: tokens and every step's logits. */
function fullPrefixGreedy(steps: number, eos?: number): { tokens: number[][]; logits: Float32Array } {
  const graph = buildSeq2Seq(CFG, { srcPadding: true });
  const rows = [[CFG.bos], [CFG.bos], [CFG.bos]];
  let logits: Float32Array = new Float32Array();
  for (let s = 0; s < steps; s++) {
    const tgt = tensor('i32', [3, s + 1], Int32Array.from(rows.flat()));
    logits = interpret(graph, new Map<string, Tensor>([['src', SRC], ['src_key_padding_mask', MASK], ['tgt', tgt]]), WEIGHTS).get('logits')!.data as Float32Array;
    rows.forEach((row, r) => {
      const at = (r * (s + 1) + s) * CFG.tgtVocab;
      const done = eos !== undefined && row[row.length - 1] === eos;
      let best = 0;
      for (let t = 1; t < CFG.tgtVocab; t++) if (logits[at + t] > logits[at + best]) best = t;
      row.push(done ? eos! : best);
    });
    if (eos !== undefined && rows.every((row) => row[row.length - 1] === eos)) break;
  }
  return { tokens: rows, logits };
}

const REFERENCE = fullPrefixGreedy(STEPS);

/** An eos that the rows of the full-prefix run reach at different steps (first occurrences differ). */
function eosReachedAtDifferentSteps(): number {
  for (let t = 0; t < CFG.tgtVocab; t++) {
    if (t === CFG.bos) continue;
    const first = REFERENCE.tokens.map((row) => row.indexOf(t, 1));
    if (first.every((f) => f > 0) && new Set(first).size === 3) return t;
  }
  throw new Error('no token is reached by every row at different steps; change the seed');
}

describe('the step graph', () => {
  it('fuses every attention (self over the grown cache, cross over the memory) and every Add & Norm', () => {
    for (const normFirst of [false, true]) {
      const cfg = { ...CFG, normFirst };
      const counts = opCounts(compileGraph(buildSeq2SeqStep(cfg, { srcPadding: true })).graph);
      expect(counts.attention).toBe(2 * cfg.numDecoderLayers);
      expect(counts.scaled_masked_softmax ?? 0).toBe(0);
      expect(counts.softmax ?? 0).toBe(0);
      // Pre-norm: every norm reads a residual sum (the embedding's for the first), the final decoder norm too.
      expect(counts.add_layer_norm).toBe(3 * cfg.numDecoderLayers + (normFirst ? 1 : 0));
    }
  });
});

interface Variant { readonly backend: string; readonly label: string; readonly options: CompileOptions }

/** Bytes one step may copy between the host and the step's memory: the tokens in and the logits out, where there is a boundary. */
function stepCopies(backend: string, rows: number): { toBackend: number; fromBackend: number } {
  const copies = backend === 'wasm' || backend === 'webgpu';
  return copies ? { toBackend: rows * 4, fromBackend: rows * CFG.tgtVocab * 4 } : { toBackend: 0, fromBackend: 0 };
}
const VARIANTS: Variant[] = backendNames().flatMap((name): Variant[] => name === 'wasm'
  ? [{ backend: name, label: 'wasm plain', options: { simd: 'plain' } as CompileOptions },
    { backend: name, label: 'wasm relaxed', options: { simd: 'relaxed' } as CompileOptions },
    { backend: name, label: 'wasm 2 threads', options: { threads: 2 } as CompileOptions }]
  : [{ backend: name, label: name, options: { optimize: true } }]);

describe.each(VARIANTS)('cached decoding on $label', ({ backend, options }) => {
  const be: Backend = getBackend(backend);

  it('each step equals the full prefix\'s last position, 64 steps, batch 3, source padding', async () => {
    const why = await be.unavailableReason();
    if (why) {
      if (process.env.CI === 'true' && backend !== 'webgpu') throw new Error(why);
      return console.warn(`[cached-decoding] skipping ${backend}: ${why}`);
    }
    const masks = { srcPadding: true };
    const [encode, step] = [buildSeq2SeqEncode(CFG, masks), buildSeq2SeqStep(CFG, masks)];
    const stepExe = await be.compile(step, weightsFor(step, WEIGHTS), options);
    const decoder = new CachedDecoder(CFG, await be.compile(encode, weightsFor(encode, WEIGHTS), options), stepExe);
    try {
      const enc = await decoder.encode({ src: SRC, srcPaddingMask: MASK });
      let state = decoder.start(enc);
      const len = STEPS;
      for (let s = 0; s < STEPS; s++) {
        const tokens = Int32Array.from(REFERENCE.tokens, (row) => row[s]);
        const before = decoder.transfers;
        const { logits, next } = await decoder.step(enc, state, tokens);
        const after = decoder.transfers;
        expect({ toBackend: after.toBackend - before.toBackend, fromBackend: after.fromBackend - before.fromBackend }).toEqual(stepCopies(backend, 3));
        for (let r = 0; r < 3; r++) {
          for (let t = 0; t < CFG.tgtVocab; t++) {
            const want = REFERENCE.logits[(r * len + s) * CFG.tgtVocab + t];
            const got = logits[r * CFG.tgtVocab + t];
            if (!(Math.abs(got - want) <= 1e-4)) expect.fail(`step ${s}, row ${r}, token ${t}: cached ${got}, full prefix ${want}`);
          }
        }
        state = next;
      }
      decoder.release(enc, state);
      // Every device tensor freed: wasm's heap of them is empty again.
      if (stepExe instanceof WasmExecutable) expect(stepExe.heap.used).toBe(0);
    } finally {
      decoder.dispose();
    }
    const gen = await Seq2SeqGenerator.compile(CFG, WEIGHTS, be, options, masks);
    try {
      const tokens = await gen.generate({ src: SRC, srcPaddingMask: MASK });
      expect(tokens.shape).toEqual([3, STEPS + 1]);
      expect([...tokens.data]).toEqual(REFERENCE.tokens.flat());
      const eos = eosReachedAtDifferentSteps();
      const want = fullPrefixGreedy(STEPS, eos).tokens;
      const got = await gen.generate({ src: SRC, srcPaddingMask: MASK }, { eos });
      expect(got.shape).toEqual([3, want[0].length]);
      expect([...got.data]).toEqual(want.flat());
    } finally {
      gen.dispose();
    }
  }, 120_000);
});
