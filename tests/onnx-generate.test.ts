// `smelt generate --model`: models of the user's own generate greedily by full prefix. A seq2seq
// pair of ONNX files (the encoder giving the memory, the decoder taking it and the target ids,
// exported from plain PyTorch as transformers.js ships translation models) makes the same tokens as
// the built-in `smelt generate --config` on the same weights (cached decoding); so do the GPT-2 and
// Llama ONNX files against their zoo configs. Bad flag combinations are one error naming the flag.

import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '@smelt/ir/node';
import { cli } from './cli-run.ts';
import { describeIfAvailable } from './gate.ts';
import { fixturesUnavailable, onnxFixtures } from './onnx-fixtures.ts';


const f = (name: string) => path.join(onnxFixtures(), name);
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-onnx-generate-'));
let outs = 0;

/** `smelt generate ARGS --out O`: the tokens it wrote (the exit code and stderr checked). */
async function tokens(args: string[]): Promise<{ shape: readonly number[]; data: number[] }> {
  const out = path.join(outDir, `out-${outs++}.safetensors`);
  const r = await cli(['generate', ...args, '--out', out, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  const t = readSafetensors(out).get('tokens')!;
  expect(t.dtype).toBe('i32');
  return { shape: t.shape, data: Array.from(t.data as Int32Array) };
}

describeIfAvailable('onnx', 'PyTorch and python3-onnx', fixturesUnavailable(), 'smelt generate --model', () => {
  beforeAll(() => { onnxFixtures(); }, 600_000);

  const pair = () => ['--model', f('encoder-opset17.onnx'), '--decoder', f('decoder-opset17.onnx'), '--bos', '1', '--inputs', f('encoder-opset17.inputs.safetensors')];

  it.each([['reference'], ['js'], ['wasm']])('a seq2seq pair of ONNX files makes the built-in generate\'s tokens (%s)', { timeout: 300_000 }, async (backend) => {
    const builtIn = await tokens(['--config', f('seq2seq.config.json'), '--weights', f('seq2seq.weights.safetensors'), '--inputs', f('encoder-opset17.inputs.safetensors'), '--backend', backend]);
    expect(builtIn.shape).toEqual([2, 9]);
    expect(new Set(builtIn.data.slice(1, 9)).size).toBeGreaterThan(1);
    expect(await tokens([...pair(), '--max-new-tokens', '8', '--backend', backend])).toEqual(builtIn);
  });

  it.each([['gpt2'], ['llama']])('a causal LM ONNX file (%s) makes the built-in generate\'s tokens', { timeout: 300_000 }, async (model) => {
    const name = `${model}-opset17`;
    const inputs = ['--inputs', f(`${name}.inputs.safetensors`), '--max-new-tokens', '6', '--backend', 'wasm'];
    const builtIn = await tokens(['--config', f(`${name}.config.json`), '--weights', f(`${name}.weights.safetensors`), ...inputs]);
    expect(builtIn.shape).toEqual([2, 13]);
    expect(await tokens(['--model', f(`${name}.onnx`), ...inputs])).toEqual(builtIn);
  });

  it('streams each step', async () => {
    const r = await cli(['generate', ...pair(), '--max-new-tokens', '2', '--stream', '--out', path.join(outDir, 'stream.safetensors')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^step 0: \d+ \d+\nstep 1: \d+ \d+\ngenerate: encoder-opset17\.onnx \+ decoder-opset17\.onnx on /);
  });

  it.each([
    ['--decoder with --config', ['--config', 'c.json', '--weights', 'w.safetensors', '--decoder', 'd.onnx'], /--decoder applies with --model/],
    ['a pair without --bos', ['--model', 'e.onnx', '--decoder', 'd.onnx'], /missing required option --bos/],
    ['--bos without --decoder', ['--model', 'lm.onnx', '--bos', '1'], /--bos applies to a seq2seq pair/],
    ['--weights with --decoder', ['--model', 'e.onnx', '--decoder', 'd.onnx', '--bos', '1', '--weights', 'w.safetensors'], /--weights does not apply with --decoder/],
    ['--config and --model', ['--config', 'c.json', '--model', 'lm.onnx'], /give --config or --model, not both/],
  ])('refuses %s as a usage error naming the flag', async (_, args, message) => {
    const r = await cli(['generate', ...args, '--inputs', 'i.safetensors', '--out', path.join(outDir, 'never.safetensors')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(outDir, 'never.safetensors'))).toBe(false);
  });

  it.each([
    ['beam search', ['--model', 'gpt2-opset17.onnx', '--strategy', 'beam', '--max-new-tokens', '2'], 'gpt2-opset17', /strategy \(--strategy\) is not supported for a --model, which decodes greedily/],
    ['a sampling flag', ['--model', 'gpt2-opset17.onnx', '--top-k', '3', '--max-new-tokens', '2'], 'gpt2-opset17', /topK \(--top-k\) is not supported/],
    ['no --max-new-tokens', ['--model', 'gpt2-opset17.onnx'], 'gpt2-opset17', /needs maxNewTokens \(--max-new-tokens\): a model of your own has no config/],
    ['a bos outside the vocabulary', ['--model', 'encoder-opset17.onnx', '--decoder', 'decoder-opset17.onnx', '--bos', '11', '--max-new-tokens', '2'], 'encoder-opset17', /bos \(--bos\) must be an integer in \[0, 11\), got 11/],
    ['a decoder alone as a causal LM', ['--model', 'decoder-opset17.onnx', '--max-new-tokens', '2'], 'decoder-opset17', /must take one input, the token ids/],
  ])('refuses %s, naming it', { timeout: 120_000 }, async (_, args, inputs, message) => {
    const withFiles = args.map((a) => (a.endsWith('.onnx') ? f(a) : a));
    const r = await cli(['generate', ...withFiles, '--inputs', f(`${inputs}.inputs.safetensors`), '--out', path.join(outDir, 'never.safetensors')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(outDir, 'never.safetensors'))).toBe(false);
  });
});
