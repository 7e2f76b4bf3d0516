// Generation with the key/value cache for the zoo's decoder-only LMs (GPT-2, Llama) on every backend:
// prefill once over the prompt, then one step per token with the caches (`past + 1`). Each step's
// logits equal the full forward's at that position (1e-4), the greedy tokens equal PyTorch's
// (tests/goldens/gpt2 and llama: scripts/make_zoo_goldens.py, which also checks torch's cached and uncached
// decodes agree), and with an eos that the rows reach at different steps the tokens equal
// full-prefix greedy decoding on the same backend (finished rows drop out of the step batch); the
// caches stay in the step executable between steps (its byte counts).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type Tensor, castTensor, opCounts, tensor } from '@smelt/ir';
import { readSafetensors } from '@smelt/ir/node';
import { main } from '@smelt/cli';
import { compileGraph } from '@smelt/compiler';
import { type Backend, type CompileOptions, backendNames, getBackend } from '@smelt/backends';
import {
  CACHE_NAMES, type CausalLMConfig, CausalLMGenerator, GenerationError, buildCausalLM, greedyFullPrefix, readConfig, readWeights, weightsFor,
} from '@smelt/models';
import { GOLDEN_DIR } from './golden-util.ts';

/** A golden case of a decoder-only model: config, weights, prompt and PyTorch's greedy tokens. */
function golden(name: 'gpt2' | 'llama') {
  const dir = path.join(GOLDEN_DIR, name);
  const cfg = readConfig(path.join(dir, 'config.json')) as CausalLMConfig;
  const prompt = castTensor(readSafetensors(path.join(dir, 'inputs.safetensors')).get('input_ids')!, 'i32');
  const expected = readSafetensors(path.join(dir, 'expected.safetensors')).get('tokens') as Tensor<'i32'>;
  return { name, dir, cfg, weights: readWeights(path.join(dir, 'weights.safetensors'), [buildCausalLM(cfg)]), prompt, expected, steps: expected.shape[1] - prompt.shape[1] };
}

const GPT2 = golden('gpt2');
const { dir: DIR, cfg: CFG, weights: WEIGHTS, prompt: PROMPT, expected: EXPECTED, steps: NEW } = GPT2;
const CASES = [GPT2, golden('llama')];

describe.each(CASES)('$name cached-generation graphs', ({ cfg }) => {
  it('prefill and step fuse every attention and every norm that reads a residual sum', () => {
    for (const which of ['prefill', 'step'] as const) {
      const counts = opCounts(compileGraph(buildCausalLM(cfg, which)).graph);
      expect(counts.attention, which).toBe(cfg.numLayers);
      expect(counts.softmax ?? 0, which).toBe(0);
      // GPT-2's first ln_1 reads wte + wpe; Llama's first input_layernorm reads the embedding alone
      if (cfg.model === 'gpt2') expect(counts.add_layer_norm, which).toBe(2 * cfg.numLayers + 1);
      else expect([counts.add_rms_norm, counts.rms_norm], which).toEqual([2 * cfg.numLayers, 1]);
    }
  });

  it('the step grows each cache (kv heads) by one: past → past + 1', () => {
    const g = buildCausalLM(cfg, 'step');
    const kvHeads = cfg.model === 'llama' ? cfg.nKvHead : cfg.nHead;
    const past = g.inputs.find((v) => v.name === CACHE_NAMES.past(0).k)!;
    const present = g.outputs.find((o) => o.name === CACHE_NAMES.present(0).k)!;
    expect(past.type.shape).toEqual(['batch', kvHeads, 'past', cfg.dModel / cfg.nHead]);
    expect(present.value.type.shape).toEqual(['batch', kvHeads, 'past + 1', cfg.dModel / cfg.nHead]);
  });
});

describe('decoder-only generation options', () => {
  it('refuses a request past the position table or an eos outside the vocabulary, naming the option', async () => {
    const gen = await CausalLMGenerator.compile(CFG, WEIGHTS, getBackend('reference'));
    const room = CFG.maxPositions - PROMPT.shape[1];
    await expect(gen.generate(PROMPT, { maxNewTokens: room + 1 })).rejects.toThrow(GenerationError);
    await expect(gen.generate(PROMPT, { maxNewTokens: room + 1 })).rejects.toThrow(`maxNewTokens (--max-new-tokens) must be an integer in [0, ${room}]`);
    await expect(gen.generate(PROMPT, { maxNewTokens: 2, eos: CFG.vocabSize })).rejects.toThrow(/eos \(--eos\) must be an integer in \[0, 50\)/);
    gen.dispose();
  });
});

describe('smelt generate on a gpt2 config', () => {
  const argv = (out: string, ...extra: string[]) => ['generate', '--config', path.join(DIR, 'config.json'), '--weights', path.join(DIR, 'weights.safetensors'),
    '--inputs', path.join(DIR, 'inputs.safetensors'), '--out', out, '--backend', 'reference', '--quiet', ...extra];
  const quietly = async (args: string[]) => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => { stderr += String(t); return true; });
    try {
      return { code: await main(args), stderr };
    } finally {
      vi.restoreAllMocks();
    }
  };

  it('continues input_ids greedily with the cache: PyTorch\'s tokens', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gpt2-')), 'tokens.safetensors');
    expect((await quietly(argv(out, '--max-new-tokens', String(NEW)))).code).toBe(0);
    const got = readSafetensors(out).get('tokens')!;
    expect(got.shape).toEqual(EXPECTED.shape);
    expect([...got.data]).toEqual([...EXPECTED.data]);
  });

  it('needs --max-new-tokens and refuses seq2seq\'s sampling options, naming the flag; writes nothing', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-gpt2-')), 'tokens.safetensors');
    const missing = await quietly(argv(out));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/gpt2 needs maxNewTokens \(--max-new-tokens\)/);
    const sample = await quietly(argv(out, '--max-new-tokens', '2', '--strategy', 'sample'));
    expect(sample.stderr).toMatch(/strategy \(--strategy\) is not supported for gpt2/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

/** An eos that the rows of `tokens` first produce at different steps after the prompt. */
function eosAtDifferentSteps(tokens: Tensor<'i32'>, prompt: number, vocab: number): number {
  const [batch, len] = tokens.shape;
  const rows = Array.from({ length: batch }, (_, r) => Array.from(tokens.data.subarray(r * len + prompt, (r + 1) * len)));
  for (let t = 0; t < vocab; t++) {
    const first = rows.map((row) => row.indexOf(t));
    if (first.every((f) => f >= 0) && new Set(first).size === batch) return t;
  }
  throw new Error('no token ends the rows at different steps');
}

interface Variant { readonly backend: string; readonly label: string; readonly options: CompileOptions; readonly c: (typeof CASES)[number] }
const VARIANTS: Variant[] = CASES.flatMap((c) => backendNames().flatMap((name): Variant[] => name === 'wasm'
  ? [{ backend: name, label: 'wasm relaxed', options: { simd: 'relaxed' } as CompileOptions, c },
    { backend: name, label: 'wasm 2 threads', options: { threads: 2 } as CompileOptions, c }]
  : [{ backend: name, label: name, options: { optimize: true }, c }]));

describe.each(VARIANTS)('$c.name generation with the cache on $label', ({ backend, options, c }) => {
  const be: Backend = getBackend(backend);
  const { cfg: CFG, weights: WEIGHTS, prompt: PROMPT, expected: EXPECTED, steps: NEW } = c;

  it('each step equals the full forward; greedy equals PyTorch; with eos, equals full-prefix greedy', async () => {
    const why = await be.unavailableReason();
    if (why) {
      if (process.env.CI === 'true' && backend !== 'webgpu') throw new Error(why);
      return console.warn(`[causal-lm-generation] skipping ${backend}: ${why}`);
    }
    const full = await be.compile(buildCausalLM(CFG), WEIGHTS, options);
    const [prefillGraph, stepGraph] = [buildCausalLM(CFG, 'prefill'), buildCausalLM(CFG, 'step')];
    const prefill = await be.compile(prefillGraph, weightsFor(prefillGraph, WEIGHTS), options);
    const step = await be.compile(stepGraph, weightsFor(stepGraph, WEIGHTS), options);
    try {
      // Teacher-forced: the full forward over the golden tokens vs prefill + one step per token.
      const [batch, total] = EXPECTED.shape;
      const prompt = PROMPT.shape[1];
      const V = CFG.vocabSize;
      const want = (await full.run(new Map([['input_ids', tensor('i32', [batch, total - 1], Int32Array.from({ length: batch * (total - 1) }, (_, i) => EXPECTED.data[Math.floor(i / (total - 1)) * total + (i % (total - 1))]))]]))).get('logits')!.data as Float32Array;
      let out = await prefill.run(new Map([['input_ids', PROMPT]]));
      const compare = (logits: Float32Array, pos: number, at: (r: number) => number) => {
        for (let r = 0; r < batch; r++) {
          for (let t = 0; t < V; t++) {
            const [got, w] = [logits[at(r) + t], want[(r * (total - 1) + pos) * V + t]];
            if (!(Math.abs(got - w) <= 1e-4)) expect.fail(`position ${pos}, row ${r}, token ${t}: cached ${got}, full ${w}`);
          }
        }
      };
      compare(out.get('logits')!.data as Float32Array, prompt - 1, (r) => (r * prompt + prompt - 1) * V);
      for (let pos = prompt; pos < total - 1; pos++) {
        const feed = new Map<string, Tensor>([['input_ids', tensor('i32', [batch, 1], Int32Array.from({ length: batch }, (_, r) => EXPECTED.data[r * total + pos]))]]);
        for (let i = 0; i < CFG.numLayers; i++) {
          feed.set(CACHE_NAMES.past(i).k, out.get(CACHE_NAMES.present(i).k)!).set(CACHE_NAMES.past(i).v, out.get(CACHE_NAMES.present(i).v)!);
        }
        out = await step.run(feed);
        compare(out.get('logits')!.data as Float32Array, pos, (r) => r * V);
      }

      const gen = await CausalLMGenerator.compile(CFG, WEIGHTS, be, options);
      try {
        const before = gen.transfers.toBackend;
        const tokens = await gen.generate(PROMPT, { maxNewTokens: NEW });
        // The caches stay in the step executable: the prefill's go in once, then only the tokens
        // (4 bytes a row a step); caches sent every step would be NEW - 1 growing copies. js and the
        // reference hold host arrays, so nothing crosses there.
        const kvHeads = CFG.model === 'llama' ? CFG.nKvHead : CFG.nHead;
        const cacheBytes = CFG.numLayers * 2 * batch * kvHeads * prompt * (CFG.dModel / CFG.nHead) * 4;
        const sent = backend === 'wasm' || backend === 'webgpu' ? cacheBytes + (NEW - 1) * batch * 4 : 0;
        expect(gen.transfers.toBackend - before, 'bytes sent to the step executable').toBe(sent);
        expect(tokens.shape).toEqual(EXPECTED.shape);
        expect([...tokens.data]).toEqual([...EXPECTED.data]);
        expect([...(await greedyFullPrefix(CFG, full, PROMPT, { maxNewTokens: NEW })).data]).toEqual([...EXPECTED.data]);
        const eos = eosAtDifferentSteps(EXPECTED, prompt, CFG.vocabSize);
        const cached = await gen.generate(PROMPT, { maxNewTokens: NEW, eos });
        const uncached = await greedyFullPrefix(CFG, full, PROMPT, { maxNewTokens: NEW, eos });
        expect(cached.shape).toEqual(uncached.shape);
        expect([...cached.data]).toEqual([...uncached.data]);
        expect(cached.shape[1], 'eos stopped decoding before the last step').toBeLessThan(total);
      } finally {
        gen.dispose();
      }
    } finally {
      for (const exe of [full, prefill, step]) exe.dispose();
    }
  }, 240_000);
});
