// Config validation edge cases: keys that Object.prototype already has, a byte-order mark, and the
// bounds between keys and on sizes (each a ConfigError naming the keys involved).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { numel } from '@smelt/ir';
import { ConfigError, LIMITS, type ModelConfig, parseConfig, weightElements } from './config.ts';
import { readConfig } from './io.ts';
import { buildModel } from './models.ts';

const CORE = {
  model: 'torch-transformer', dModel: 8, nHead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16,
  activation: 'relu', layerNormEps: 1e-5, normFirst: false,
};

/** The config as JSON text with one more key first (JSON.parse makes "__proto__" an own key). */
const withKey = (key: string) => JSON.parse(`{${JSON.stringify(key)}: 1, ${JSON.stringify(CORE).slice(1)}`) as unknown;

describe('config keys', () => {
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('an own key "%s" is unknown', (key) => {
    expect(() => parseConfig(withKey(key), 'c.json')).toThrow(ConfigError);
    expect(() => parseConfig(withKey(key), 'c.json')).toThrow(`c.json: unknown config key "${key}"`);
  });
});

describe('config files', () => {
  const write = (text: string) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-config-')), 'config.json');
    fs.writeFileSync(file, text);
    return file;
  };

  it('accepts a UTF-8 byte-order mark', () => {
    expect(readConfig(write(`\uFEFF${JSON.stringify(CORE)}`))).toEqual(CORE);
  });

  it('still refuses text that is not JSON, naming the file', () => {
    expect(() => readConfig(write('\uFEFF{model'))).toThrow(/config\.json: not valid JSON/);
  });
});

const SEQ2SEQ = { ...CORE, model: 'seq2seq', srcVocab: 9, tgtVocab: 10, maxLen: 16, bos: 1, maxDecode: 4 };

describe('config bounds', () => {
  it('maxDecode + 1 must fit in maxLen: bos and every decoded token take a position', () => {
    expect(parseConfig({ ...SEQ2SEQ, maxLen: 5, maxDecode: 4 }).model).toBe('seq2seq');
    expect(() => parseConfig({ ...SEQ2SEQ, maxLen: 4, maxDecode: 4 }, 'c.json'))
      .toThrow('c.json: maxDecode 4 needs maxLen at least 5 (bos and 4 decoded tokens, one position each), got maxLen 4');
  });

  it('maxLen has an upper bound, named in the error', () => {
    expect(parseConfig({ ...SEQ2SEQ, maxLen: LIMITS.maxLen }).model).toBe('seq2seq');
    expect(() => parseConfig({ ...SEQ2SEQ, maxLen: LIMITS.maxLen + 1 }, 'c.json'))
      .toThrow(`c.json: config key "maxLen" must be a positive integer at most 65536, got 65537`);
  });

  it.each([
    ['dModel', { dModel: 2 ** 20, nHead: 1 }, 'a positive integer at most 65536, got 1048576'],
    ['dimFeedforward', { dimFeedforward: 2 ** 30 }, 'a positive integer at most 1048576, got 1073741824'],
    ['srcVocab', { srcVocab: 2 ** 31 }, 'a positive integer at most 16777216, got 2147483648'],
    ['numEncoderLayers', { numEncoderLayers: 100000 }, 'a non-negative integer at most 1024, got 100000'],
  ])('an absurd %s is a ConfigError naming the key and its bound', (key, over, want) => {
    expect(() => parseConfig({ ...SEQ2SEQ, ...over }, 'c.json')).toThrow(`c.json: config key "${key}" must be ${want}`);
  });

  it('sizes each within bounds but too large together are a ConfigError naming the keys', () => {
    const big = { ...SEQ2SEQ, dModel: 16384, nHead: 16, dimFeedforward: 65536, maxLen: 1024 };
    expect(() => parseConfig(big, 'c.json')).toThrow(/^c\.json: dModel 16384, dimFeedforward 65536, numEncoderLayers 1, numDecoderLayers 1, srcVocab 9, tgtVocab 10, maxLen 1024 make \d+ weight elements \(with the positional table\), more than the 268435456 \(1 GiB of f32\) a model may hold$/);
  });

  it.each<[string, ModelConfig]>([
    ['torch-transformer', parseConfig({ ...CORE, numEncoderLayers: 2, numDecoderLayers: 3 })],
    ['seq2seq', parseConfig(SEQ2SEQ)],
  ])('weightElements counts what the %s model declares, plus the positional table', (_name, cfg) => {
    const params = buildModel(cfg).params.reduce((n, p) => n + numel(p.type.shape as number[]), 0);
    const table = cfg.model === 'seq2seq' ? cfg.maxLen * cfg.dModel : 0;
    expect(weightElements(cfg)).toBe(params + table);
  });
});
