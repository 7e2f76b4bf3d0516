// Full-prefix greedy decoding for seq2seq over any backend: encode once, then run the decoder graph
// over the whole prefix for every new token (bos first; argmax of the last position each step).
// O(n²) work: generation/ decodes with a key/value cache instead; this stays as the baseline the
// bench compares the cache against. With `eos`, a
// finished row repeats eos, and decoding stops once every row has finished.

import { type Tensor, tensor } from '@smelt/ir';
import type { Executable } from '@smelt/backends';
import type { Seq2SeqConfig } from './config.ts';

export interface GreedyInputs {
  readonly src: Tensor;
  readonly srcPaddingMask?: Tensor;
}

/** `onStep` is called after each step with its index (the bench times the first token with it). */
export async function greedyDecode(cfg: Seq2SeqConfig, encoder: Executable, decoder: Executable, inputs: GreedyInputs, onStep?: (step: number) => void): Promise<Tensor<'i32'>> {
  const shared = new Map<string, Tensor>([['src', inputs.src]]);
  if (inputs.srcPaddingMask) shared.set('src_key_padding_mask', inputs.srcPaddingMask);
  const memory = (await encoder.run(shared)).get('memory')!;
  const batch = inputs.src.shape[0];
  const rows = Array.from({ length: batch }, () => [cfg.bos]);
  const done = new Array<boolean>(batch).fill(false);
  for (let step = 0; step < cfg.maxDecode; step++) {
    const len = rows[0].length;
    const tgt = tensor('i32', [batch, len], Int32Array.from(rows.flat()));
    const feed = new Map(shared);
    feed.delete('src');
    feed.set('memory', memory).set('tgt', tgt);
    const next = (await decoder.run(feed)).get('next')!.data as Int32Array;
    rows.forEach((row, r) => {
      const token = done[r] ? cfg.eos! : next[r * len + len - 1];
      row.push(token);
      if (token === cfg.eos) done[r] = true;
    });
    onStep?.(step);
    if (cfg.eos !== undefined && done.every(Boolean)) break;
  }
  return tensor('i32', [batch, rows[0].length], Int32Array.from(rows.flat()));
}
