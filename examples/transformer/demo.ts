// The README's main job: compile the small seq2seq trained to reverse digit sequences
// (toy-reverse/, trained by scripts/train_toy.py with PyTorch), decode a few inputs greedily with the
// key/value cache on the fastest available backend, and print input, output, whether it is right,
// and the time taken.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor } from '@smelt/ir';
import { pickBackend } from '@smelt/cli';
import { Seq2SeqGenerator, buildSeq2Seq, readConfig, readWeights, seededRandom } from '@smelt/models';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODEL = path.join(HERE, 'toy-reverse');
const PAD = 0, EOS = 2, DIGIT0 = 3;


function sampleDigits(count: number, rand: () => number): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: 3 + Math.floor(rand() * 6) }, () => Math.floor(rand() * 10)));
}

async function main(): Promise<void> {
  const backendName = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1] : undefined;
  const backend = await pickBackend(backendName);
  const cfg = readConfig(path.join(MODEL, 'config.json'));
  if (cfg.model !== 'seq2seq') throw new Error('toy-reverse must be a seq2seq config');
  const masks = { srcPadding: true };
  const t0 = performance.now();
  const weights = readWeights(path.join(MODEL, 'weights.safetensors'), [buildSeq2Seq(cfg, masks)]);
  const generator = await Seq2SeqGenerator.compile(cfg, weights, backend, { optimize: true }, masks);
  const compileMs = performance.now() - t0;

  const seqs = sampleDigits(8, seededRandom(2026)); // seeded: every run shows the same examples
  const width = Math.max(...seqs.map((s) => s.length));
  const src = tensor('i32', [seqs.length, width], Int32Array.from(seqs.flatMap((s) => [...s.map((d) => d + DIGIT0), ...Array(width - s.length).fill(PAD)])));
  const mask = tensor('bool', [seqs.length, width], Uint8Array.from(seqs.flatMap((s) => [...s.map(() => 0), ...Array(width - s.length).fill(1)])));
  const t1 = performance.now();
  const tokens = await generator.generate({ src, srcPaddingMask: mask });
  const decodeMs = performance.now() - t1;

  console.log(`smelt demo: reverse digit sequences with a trained seq2seq Transformer (${backend.name} backend)`);
  console.log(`model: dModel ${cfg.dModel}, ${cfg.nHead} heads, ${cfg.numEncoderLayers}+${cfg.numDecoderLayers} layers; load + compile ${compileMs.toFixed(0)} ms\n`);
  let right = 0;
  const cols = tokens.shape[1];
  seqs.forEach((digits, r) => {
    const row = Array.from(tokens.data.slice(r * cols + 1, (r + 1) * cols));
    const end = row.indexOf(EOS);
    const out = (end < 0 ? row : row.slice(0, end)).map((t) => t - DIGIT0);
    const ok = out.join() === [...digits].reverse().join();
    right += +ok;
    console.log(`  in ${digits.join('').padEnd(width)}  →  out ${out.map((d) => (d >= 0 && d <= 9 ? d : '?')).join('').padEnd(width)}  ${ok ? 'right' : 'WRONG'}`);
  });
  console.log(`\n${right}/${seqs.length} right; greedy decoding of ${seqs.length} sequences took ${decodeMs.toFixed(0)} ms`);
  generator.dispose();
  if (right !== seqs.length) process.exitCode = 1;
}

main().catch((e: Error) => {
  console.error(`smelt demo: error: ${e.message}`);
  process.exitCode = 1;
});
