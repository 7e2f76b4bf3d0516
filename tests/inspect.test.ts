// `smelt inspect`: JSON stats with the fusion counts, the text form (optimized IR + stats table,
// still parseable), DOT, per-pass dumps, --disable and --after, and bad flags.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseGraph } from '@smelt/ir';
import { main } from '@smelt/cli';
import { PHASES } from '@smelt/compiler';
import { SMALL_SEQ2SEQ } from './fixtures.ts';

async function smelt(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

function configFile(cfg: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-inspect-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(cfg));
  return file;
}

const E = 2;
const D = 3;
const TORCH = { ...SMALL_SEQ2SEQ, model: 'torch-transformer', numEncoderLayers: E, numDecoderLayers: D,
  srcVocab: undefined, tgtVocab: undefined, maxLen: undefined, bos: undefined, maxDecode: undefined };

describe('smelt inspect', () => {
  it.each([[false], [true]])('JSON stats count every fusion (normFirst %s)', async (normFirst) => {
    const r = await smelt('inspect', '--config', configFile({ ...TORCH, normFirst }), '--format', 'json', '--src-padding', '--tgt-padding');
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout);
    expect(stats.fusions.attention).toBe(E + 2 * D);
    expect(stats.fusions.add_layer_norm).toBe(2 * E + 3 * D);
    expect(stats.fusions.scaled_masked_softmax).toBe(0);
    expect(Object.keys(stats).sort()).toEqual(['bytesMoved', 'flops', 'fusions', 'kernels', 'naiveBytes', 'ops', 'peakBytes']);
    expect(stats.peakBytes).toBeLessThan(stats.naiveBytes);
    expect(stats.flops).toBeGreaterThan(0);
  });

  it.each([[false], [true]])('--graph step: the attention fusion fires on the cached decoding step (normFirst %s)', async (normFirst) => {
    const r = await smelt('inspect', '--config', configFile({ ...SMALL_SEQ2SEQ, numDecoderLayers: D, normFirst }), '--graph', 'step', '--format', 'json', '--src-padding');
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout);
    // Per decoder layer: self-attention over the grown cache and cross-attention over the memory's keys and values.
    expect(stats.fusions.attention).toBe(2 * D);
    expect(stats.fusions.scaled_masked_softmax).toBe(0);
    expect(stats.fusions.add_layer_norm).toBe(3 * D + (normFirst ? 1 : 0));
  });

  it('the trained toy model: no transpose left (attention reads and writes the heads in bshd), 4 per attention without fuse-head-layout', async () => {
    const toy = new URL('../examples/transformer/toy-reverse/config.json', import.meta.url).pathname;
    const on = JSON.parse((await smelt('inspect', '--config', toy, '--format', 'json')).stdout);
    const off = JSON.parse((await smelt('inspect', '--config', toy, '--format', 'json', '--disable', 'fuse-head-layout')).stdout);
    expect([on.ops.transpose, on.fusions.attention]).toEqual([undefined, 6]);
    expect(off.ops.transpose).toBe(4 * 6);
    expect(off.kernels - on.kernels).toBe(4 * 6);
  });

  it('with fuse-attention disabled, the softmaxes appear as scaled_masked_softmax', async () => {
    const r = await smelt('inspect', '--config', configFile(TORCH), '--format', 'json', '--disable', 'fuse-attention');
    const stats = JSON.parse(r.stdout);
    expect(stats.fusions.attention).toBe(0);
    expect(stats.fusions.scaled_masked_softmax).toBe(E + 2 * D);
  });

  it('text form is the optimized IR, which parses, followed by the stats table', async () => {
    const r = await smelt('inspect', '--config', configFile(SMALL_SEQ2SEQ));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^graph @seq2seq \{/);
    expect(r.stdout).toContain('// kernels: ');
    expect(r.stdout).toMatch(/\/\/ memory: peak arena .* vs naive /);
    expect(r.stdout).toMatch(/\/\/ fusions: .*attention 3/);
    expect(() => parseGraph(r.stdout)).not.toThrow();
  });

  it('DOT output draws fused ops as clusters with shapes on edges', async () => {
    const r = await smelt('inspect', '--config', configFile(SMALL_SEQ2SEQ), '--format', 'dot');
    expect(r.stdout).toMatch(/^digraph "seq2seq" \{/);
    expect(r.stdout).toContain('subgraph cluster_');
    expect(r.stdout).toMatch(/label="f32\[batch, srcLen, 16\]"/);
  });

  it('--dump-after all writes one numbered file per pass; --after stops early', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-dumps-'));
    const r = await smelt('inspect', '--config', configFile(SMALL_SEQ2SEQ), '--dump-after', 'all', '--dump-dir', dir, '--verify-each', '--format', 'json');
    expect(r.code).toBe(0);
    const files = fs.readdirSync(dir).sort();
    expect(files[0]).toBe('01-canonicalize.ir');
    const attentionStep = PHASES.flatMap((p) => p.passes).findIndex((p) => p.name === 'fuse-attention') + 1;
    expect(files).toContain(`${String(attentionStep).padStart(2, '0')}-fuse-attention.ir`);
    expect(files.length).toBe(PHASES.flatMap((p) => p.passes).length); // every pass run, in order
    expect(files.at(-1)).toBe(`${files.length}-dce.ir`);
    for (const f of files) expect(() => parseGraph(fs.readFileSync(path.join(dir, f), 'utf8'))).not.toThrow();
    const early = await smelt('inspect', '--config', configFile(SMALL_SEQ2SEQ), '--after', 'fold-constants');
    expect(early.stdout).toContain('softmax(');
    expect(early.stdout).not.toContain('attention(');
  });

  it.each([
    [['--disable', 'fuse-everything'], /--disable: unknown pass "fuse-everything" \(passes: canonicalize, /],
    [['--format', 'svg'], /--format must be text, dot, json or html, got "svg"/],
    [['--seq-len', '0'], /--seq-len must be a positive integer, got "0"/],
  ])('rejects %j', async (flags, message) => {
    const r = await smelt('inspect', '--config', configFile(SMALL_SEQ2SEQ), ...flags);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
