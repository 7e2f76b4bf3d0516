// Config validation edge cases: keys that Object.prototype already has, a byte-order mark, and the
// bounds between keys and on sizes (each a ConfigError naming the keys involved).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.ts';
import { readConfig } from './io.ts';

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
