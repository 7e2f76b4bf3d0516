// generate() against the plain-PyTorch reference of scripts/generation_reference.py: beam search
// (4 and 3 beams, length penalties, early stopping on and off) and sampling (temperature, top-k,
// top-p, seeds) give the same tokens, token for token, on the trained toy model and a random one,
// on every backend; the streamed steps add up to the same tokens; bad options are named errors.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '@smelt/ir';
import { backendNames, getBackend } from '@smelt/backends';
import {
  type GenerateOptions, type Seq2SeqConfig, Seq2SeqGenerator, buildSeq2Seq, readConfig, readWeights,
} from '@smelt/models';

interface Case {
  readonly model: string;
  readonly src: number[][];
  readonly lengths: number[];
  readonly options: GenerateOptions;
  readonly tokens: number[][];
}

const ROOT = new URL('../', import.meta.url);
const CASES = (JSON.parse(fs.readFileSync(new URL('goldens/generation/cases.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const MODELS = [...new Set(CASES.map((c) => c.model))];

function load(folder: string): { cfg: Seq2SeqConfig; weights: Map<string, Tensor> } {
  const cfg = readConfig(new URL(`${folder}/config.json`, ROOT).pathname) as Seq2SeqConfig;
  return { cfg, weights: readWeights(new URL(`${folder}/weights.safetensors`, ROOT).pathname, [buildSeq2Seq(cfg, { srcPadding: true })]) };
}

function source(c: Case): { src: Tensor; srcPaddingMask: Tensor } {
  const width = c.src[0].length;
  return {
    src: tensor('i32', [c.src.length, width], Int32Array.from(c.src.flat())),
    srcPaddingMask: tensor('bool', [c.src.length, width], Uint8Array.from(c.lengths.flatMap((n) => Array.from({ length: width }, (_, i) => +(i >= n))))),
  };
}

describe.each(backendNames())('generate() on %s equals the PyTorch reference', (name) => {
  it.each(MODELS)('%s: beam search and sampling, token for token', async (folder) => {
    const backend = getBackend(name);
    const why = await backend.unavailableReason();
    if (why) {
      if (process.env.CI === 'true') throw new Error(why);
      return console.warn(`[generation] skipping ${name}: ${why}`);
    }
    const { cfg, weights } = load(folder);
    const gen = await Seq2SeqGenerator.compile(cfg, weights, backend, { optimize: true }, { srcPadding: true });
    try {
      const cases = CASES.filter((k) => k.model === folder);
      for (const c of cases) {
        const got = await gen.generate(source(c), c.options);
        const rows = Array.from({ length: got.shape[0] }, (_, r) => [...got.data.slice(r * got.shape[1], (r + 1) * got.shape[1])]);
        expect(rows, JSON.stringify(c.options)).toEqual(c.tokens);
      }
      const sampled = cases.find((k) => k.options.strategy === 'sample')!;
      const streamed: number[][] = sampled.src.map(() => [cfg.bos]);
      for await (const step of gen.stream(source(sampled), sampled.options)) step.tokens.forEach((t, r) => streamed[r].push(t));
      expect(streamed).toEqual(sampled.tokens);
    } finally {
      gen.dispose();
    }
  }, 180_000);
});

describe('generate() options', () => {
  it('names the option, its flag and the allowed range; nothing runs', async () => {
    const { cfg, weights } = load(MODELS[0]);
    const gen = await Seq2SeqGenerator.compile(cfg, weights, getBackend('reference'), {}, { srcPadding: true });
    const src = source(CASES[0]);
    const bad: [GenerateOptions, string][] = [
      [{ topP: 0 }, 'topP (--top-p) must be a number in (0, 1], got 0'],
      [{ topP: 1.5 }, 'topP (--top-p) must be a number in (0, 1], got 1.5'],
      [{ temperature: -1 }, 'temperature (--temperature) must be a finite number > 0, got -1'],
      [{ numBeams: 0, strategy: 'beam' }, `numBeams (--beams) must be an integer in [1, ${cfg.tgtVocab}] (tgtVocab), got 0`],
      [{ seed: 1.5 }, 'seed (--seed) must be an integer in [0, 4294967296), got 1.5'],
      [{ seed: 'x' as unknown as number }, 'seed (--seed) must be an integer in [0, 4294967296), got "x"'],
      [{ maxNewTokens: cfg.maxLen }, `maxNewTokens (--max-new-tokens) must be an integer in [0, ${cfg.maxLen - 1}]`],
      [{ strategy: 'top' as 'beam' }, 'strategy (--strategy) must be one of "greedy", "sample", "beam", got "top"'],
      [{ beams: 2 } as GenerateOptions, 'unknown option "beams"'],
    ];
    for (const [options, message] of bad) await expect(gen.generate(src, options)).rejects.toThrow(message);
    gen.dispose();
  });
});
