// Choosing tokens on the GPU (webgpu/token-choice.ts) equals the CPU sampler of @smelt/models
// (argmax, and sampling with temperature, top-k and top-p from the same draws), token for token,
// over random logits with ties, for small and large vocabularies; and a cached greedy decoding
// step on WebGPU is one submit that reads back only the token ids (4 bytes a row), makes bind
// groups only for the kernels that touch its caches, and mostly reuses earlier caches' buffers; the
// generator submits each step before the one before is read back; submitChoosing reads a run back
// only once asked (readAfter) and feeds the last chosen tokens to the next run on the GPU.

import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Tensor, input, tensor } from '@smelt/ir';
import { type WebGpuExecutable, getBackend } from '@smelt/backends';
import { CachedDecoder, Mulberry32, type Seq2SeqConfig, Seq2SeqGenerator, argmaxRow, buildSeq2Seq, buildSeq2SeqEncode, buildSeq2SeqStep, parseConfig, sampleRowWith, weightsFor } from '@smelt/models';
import { randomWeights } from './fixtures.ts';

const webgpu = getBackend('webgpu');

async function available(): Promise<boolean> {
  const why = await webgpu.unavailableReason();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(why);
  console.warn(`[webgpu-token-choice] skipping: ${why}`);
  return false;
}

const OPTIONS = [
  { strategy: 'greedy', temperature: 1, topK: 0, topP: 1 },
  { strategy: 'sample', temperature: 1, topK: 0, topP: 1 },
  { strategy: 'sample', temperature: 0.7, topK: 5, topP: 1 },
  { strategy: 'sample', temperature: 1.3, topK: 0, topP: 0.8 },
  { strategy: 'sample', temperature: 0.5, topK: 40, topP: 0.95 },
] as const;

describe('token choice on the GPU', () => {
  it.each([12, 1000])('equals the CPU sampler, vocabulary %i', async (V) => {
    if (!(await available())) return;
    const R = 4;
    const b = new GraphBuilder('logits');
    b.output('logits', input(b, 'x', 'f32', [R, 1, V]).mul(1).value);
    const exe = await webgpu.compile(b.graph, new Map()) as WebGpuExecutable;
    try {
      const rng = new Mulberry32(7);
      for (let round = 0; round < 4; round++) {
        // Values on a coarse grid, so ties occur (the first index wins among equals).
        const data = Float32Array.from({ length: R * V }, () => Math.round((rng.next() - 0.5) * 24) / 4);
        for (const o of OPTIONS) {
          const draws = Array.from({ length: R }, () => rng.next());
          const { tokens, outputs } = await exe.runChoosing(new Map([['x', tensor('f32', [R, 1, V], data)]]), new Set(), { ...o, logits: 'logits', draws });
          const want = Array.from({ length: R }, (_, r) => (o.strategy === 'greedy' ? argmaxRow(data, r * V, V) : sampleRowWith(data, r * V, V, o, draws[r])));
          expect([...tokens], `${JSON.stringify(o)}, round ${round}`).toEqual(want);
          expect(outputs.has('logits')).toBe(false);
          expect(exe.lastRun?.bytesReadBack).toBe(4 * R);
        }
      }
    } finally {
      exe.dispose();
    }
  }, 300_000);
});

const CFG = parseConfig({
  model: 'seq2seq', dModel: 16, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 24, activation: 'relu',
  layerNormEps: 1e-5, normFirst: false, srcVocab: 9, tgtVocab: 12, maxLen: 17, bos: 1, maxDecode: 16,
}) as Seq2SeqConfig;

/** The same greedy steps on the interpreter, the tokens chosen on the host from its logits. */
type Method = (...args: unknown[]) => unknown;

/** Counts calls of the methods `names` of `proto` (a WebGPU prototype) until restore(); the calls still reach the originals. */
function countCalls<N extends string>(proto: Record<N, Method>, names: readonly N[]): { readonly count: Record<N, number>; restore(): void } {
  const original = Object.fromEntries(names.map((n) => [n, proto[n]])) as Record<N, Method>;
  const count = Object.fromEntries(names.map((n) => [n, 0])) as Record<N, number>;
  for (const n of names) proto[n] = function (this: unknown, ...args: unknown[]) { count[n]++; return original[n].apply(this, args); };
  return { count, restore: () => { Object.assign(proto, original); } };
}

const gpuQueue = () => (globalThis as unknown as { GPUQueue: { prototype: Record<'submit', Method> } }).GPUQueue.prototype;
const gpuDevice = () => (globalThis as unknown as { GPUDevice: { prototype: Record<'createBindGroup' | 'createBuffer', Method> } }).GPUDevice.prototype;

async function hostGreedy(weights: ReadonlyMap<string, Tensor>, src: Tensor, steps: number): Promise<number[][]> {
  const ref = getBackend('reference');
  const [encode, step] = [buildSeq2SeqEncode(CFG), buildSeq2SeqStep(CFG)];
  const decoder = new CachedDecoder(CFG, await ref.compile(encode, weightsFor(encode, weights)), await ref.compile(step, weightsFor(step, weights)));
  const enc = await decoder.encode({ src });
  let state = decoder.start(enc);
  let last: Int32Array = new Int32Array(3).fill(CFG.bos);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const { logits, next } = await decoder.step(enc, state, last);
    last = Int32Array.from({ length: 3 }, (_, r) => argmaxRow(logits, r * CFG.tgtVocab, CFG.tgtVocab));
    out.push([...last]);
    state = next;
  }
  return out;
}

describe('submitChoosing', () => {
  it('reads a run back only once readAfter settles, and feeds the last choice to the next run on the GPU', async () => {
    if (!(await available())) return;
    const R = 3, V = 7;
    const b = new GraphBuilder('logits');
    const x = input(b, 'x', 'f32', [R, 1, V]);
    const id = input(b, 'id', 'i32', [R, 1]);
    b.output('logits', x.mul(1).value);
    b.output('echo', id.add(0).value);
    const exe = await webgpu.compile(b.graph, new Map()) as WebGpuExecutable;
    try {
      const data = Float32Array.from({ length: R * V }, (_, i) => ((i * 5) % V === 3 ? 2 : 0) + (i % V) / 100);
      const want = Array.from({ length: R }, (_, r) => argmaxRow(data, r * V, V));
      const greedy = { strategy: 'greedy', temperature: 1, topK: 0, topP: 1, logits: 'logits' } as const;
      const feed = (ids: number[]) => new Map<string, Tensor>([['x', tensor('f32', [R, 1, V], data)], ['id', tensor('i32', [R, 1], Int32Array.from(ids))]]);
      let open = () => {};
      const asked = new Promise<void>((resolve) => { open = resolve; });
      const first = await exe.submitChoosing(feed([9, 9, 9]), new Set(), greedy, undefined, asked);
      let read = false;
      void first.done.then(() => { read = true; });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(read, 'read back before readAfter settled').toBe(false);
      open();
      expect([...(await first.done).tokens]).toEqual(want);
      // The next run's `id` comes from the tokens the first chose, not from its host data.
      const second = await exe.submitChoosing(feed([0, 0, 0]), new Set(), greedy, 'id');
      const { outputs, tokens } = await second.done;
      expect([...(outputs.get('echo') as Tensor).data]).toEqual(want);
      expect([...tokens]).toEqual(want);
      await expect(exe.submitChoosing(feed([0, 0, 0]), new Set(), greedy, 'nope')).rejects.toThrow('no input "nope"');
    } finally {
      exe.dispose();
    }
  }, 300_000);
});

describe('a cached decoding step on WebGPU', () => {
  it('is one submit per token, uploads the tokens and reads back only the chosen ids', async () => {
    if (!(await available())) return;
    const weights = randomWeights(buildSeq2Seq(CFG), 3);
    const [encode, step] = [buildSeq2SeqEncode(CFG), buildSeq2SeqStep(CFG)];
    const stepExe = await webgpu.compile(step, weightsFor(step, weights)) as WebGpuExecutable;
    const decoder = new CachedDecoder(CFG, await webgpu.compile(encode, weightsFor(encode, weights)), stepExe);
    let counting: ReturnType<typeof countCalls<'submit'>> | undefined;
    try {
      const src = tensor('i32', [3, 4], Int32Array.from([2, 3, 4, 5, 6, 7, 8, 2, 3, 3, 4, 4]));
      const enc = await decoder.encode({ src });
      let state = decoder.start(enc);
      let last: Int32Array = new Int32Array(3).fill(CFG.bos);
      counting = countCalls(gpuQueue(), ['submit']);
      const chosen: number[][] = [];
      for (let s = 0; s < 8; s++) {
        const before = { submits: counting.count.submit, transfers: decoder.transfers };
        const { tokens, next } = await decoder.chooseStep(enc, state, last, { strategy: 'greedy', temperature: 1, topK: 0, topP: 1 });
        expect(counting.count.submit - before.submits).toBe(1);
        expect(stepExe.lastRun).toMatchObject({ submits: 1, bytesUploaded: 3 * 4, bytesReadBack: 3 * 4 });
        expect(decoder.transfers.fromBackend - before.transfers.fromBackend).toBe(3 * 4);
        state = next;
        last = tokens;
        chosen.push([...tokens]);
      }
      decoder.release(enc, state);
      counting.restore();
      expect(chosen).toEqual(await hostGreedy(weights, src, 8));
    } finally {
      counting?.restore();
      decoder.dispose();
    }
  }, 300_000);

  it('makes bind groups only for the kernels that touch the caches, and reuses the buffers of earlier caches', async () => {
    if (!(await available())) return;
    const weights = randomWeights(buildSeq2Seq(CFG), 5);
    const [encode, step] = [buildSeq2SeqEncode(CFG), buildSeq2SeqStep(CFG)];
    const stepExe = await webgpu.compile(step, weightsFor(step, weights)) as WebGpuExecutable;
    const decoder = new CachedDecoder(CFG, await webgpu.compile(encode, weightsFor(encode, weights)), stepExe);
    let counting: ReturnType<typeof countCalls<'createBindGroup' | 'createBuffer'>> | undefined;
    try {
      const src = tensor('i32', [3, 4], Int32Array.from([2, 3, 4, 5, 6, 7, 8, 2, 3, 3, 4, 4]));
      const enc = await decoder.encode({ src });
      let state = decoder.start(enc);
      let last: Int32Array = new Int32Array(3).fill(CFG.bos);
      counting = countCalls(gpuDevice(), ['createBindGroup', 'createBuffer']);
      const made = counting.count;
      const perStep: { groups: number; buffers: number }[] = [];
      for (let s = 0; s < 14; s++) {
        const before = { ...made };
        const { tokens, next } = await decoder.chooseStep(enc, state, last, { strategy: 'greedy', temperature: 1, topK: 0, topP: 1 });
        perStep.push({ groups: made.createBindGroup - before.createBindGroup, buffers: made.createBuffer - before.createBuffer });
        state = next;
        last = tokens;
      }
      decoder.release(enc, state);
      counting.restore();
      // Past lengths 9..13 lay out the arena alike (room for 16): after the step that moved to that
      // layout, only the kernels that read or write the caches (per layer the two cache concats and
      // self-attention) and the token choice bind again.
      const kernels = stepExe.plan.kernels.length;
      const caching = 3 * CFG.numDecoderLayers + 1;
      for (let s = 10; s < perStep.length; s++) expect(perStep[s].groups, `step ${s} of ${kernels} kernels`).toBe(caching);
      // Each step's caches are a row longer than the last's; they mostly land in the buffers that
      // earlier steps' caches left (made with room to spare), not in new ones per cache per step.
      const later = perStep.slice(5);
      const caches = 2 * CFG.numDecoderLayers;
      expect(later.reduce((n, m) => n + m.buffers, 0), JSON.stringify(later)).toBeLessThanOrEqual(caches * later.length / 2);
    } finally {
      counting?.restore();
      decoder.dispose();
    }
  }, 300_000);

  it('goes in ahead in the generator: step t + 1 is submitted before step t is read back, the tokens unchanged', async () => {
    if (!(await available())) return;
    const weights = randomWeights(buildSeq2Seq(CFG), 3);
    const gen = await Seq2SeqGenerator.compile(CFG, weights, webgpu);
    let counting: ReturnType<typeof countCalls<'submit'>> | undefined;
    try {
      const src = tensor('i32', [3, 4], Int32Array.from([2, 3, 4, 5, 6, 7, 8, 2, 3, 3, 4, 4]));
      const steps = 8;
      counting = countCalls(gpuQueue(), ['submit']);
      const seen: number[] = [];
      const chosen: number[][] = [];
      for await (const s of gen.stream({ src }, { maxNewTokens: steps })) {
        seen.push(counting.count.submit);
        chosen.push([...s.tokens]);
      }
      counting.restore();
      // Before step s reaches the host: the encode, then steps 0 .. s + 1 (none after the last).
      expect(seen).toEqual(Array.from({ length: steps }, (_, s) => 1 + Math.min(s + 2, steps)));
      expect(chosen).toEqual(await hostGreedy(weights, src, steps));
    } finally {
      counting?.restore();
      gen.dispose();
    }
  }, 300_000);
});
