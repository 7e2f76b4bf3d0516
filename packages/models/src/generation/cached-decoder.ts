// Cached decoding of seq2seq on any backend: the encode graph runs once per source and gives every
// decoder layer's cross-attention keys and values; the step graph then takes one new token per
// row at position `past` with each layer's self-attention cache and returns the logits and the
// caches grown by one. Rows can be picked per step (finished rows dropped, beams reordered): the
// caches and the source-side tensors are selected by row on the host.

import { type Tensor, tensor } from '@smelt/ir';
import type { Executable } from '@smelt/backends';
import type { Seq2SeqConfig } from '../config.ts';
import { CACHE_NAMES } from '../models.ts';
import { isIdentity, selectRows } from './rows.ts';

export interface SourceInputs {
  readonly src: Tensor;
  readonly srcPaddingMask?: Tensor;
}

/** The source side of one generate() call: cross keys and values (and the mask) per source row. */
export interface Encoded {
  readonly batch: number;
  readonly source: ReadonlyMap<string, Tensor>;
}

/** Decoding state: for each active row, the source row it reads, and the caches of its past tokens. */
export interface StepState {
  readonly sourceRows: readonly number[];
  readonly past: ReadonlyMap<string, Tensor>;
  readonly position: number;
}

export class CachedDecoder {
  private sourceFor?: { readonly rows: readonly number[]; readonly tensors: ReadonlyMap<string, Tensor> };

  constructor(readonly cfg: Seq2SeqConfig, private readonly encodeExe: Executable, private readonly stepExe: Executable) {}

  async encode(inputs: SourceInputs): Promise<Encoded> {
    const feed = new Map<string, Tensor>([['src', inputs.src]]);
    if (inputs.srcPaddingMask) feed.set('src_key_padding_mask', inputs.srcPaddingMask);
    const source = await this.encodeExe.run(feed);
    if (inputs.srcPaddingMask) source.set('src_key_padding_mask', inputs.srcPaddingMask);
    this.sourceFor = undefined;
    return { batch: inputs.src.shape[0], source };
  }

  /** The state before the first step: every source row once, empty caches. */
  start(enc: Encoded, sourceRows: readonly number[] = Array.from({ length: enc.batch }, (_, i) => i)): StepState {
    const { nHead, dModel, numDecoderLayers } = this.cfg;
    const empty = tensor('f32', [sourceRows.length, nHead, 0, dModel / nHead]);
    const past = new Map<string, Tensor>();
    for (let i = 0; i < numDecoderLayers; i++) {
      const n = CACHE_NAMES.past(i);
      past.set(n.k, empty).set(n.v, empty);
    }
    return { sourceRows, past, position: 0 };
  }

  /** One step: a token per active row in, logits [rows, tgtVocab] and the grown state out. */
  async step(enc: Encoded, state: StepState, tokens: Int32Array): Promise<{ logits: Float32Array; next: StepState }> {
    const rows = state.sourceRows.length;
    const feed = new Map<string, Tensor>(this.sourceTensors(enc, state.sourceRows));
    for (const [k, t] of state.past) feed.set(k, t);
    feed.set('tgt', tensor('i32', [rows, 1], tokens));
    const out = await this.stepExe.run(feed);
    const past = new Map<string, Tensor>();
    for (let i = 0; i < this.cfg.numDecoderLayers; i++) {
      const [from, to] = [CACHE_NAMES.present(i), CACHE_NAMES.past(i)];
      past.set(to.k, out.get(from.k)!).set(to.v, out.get(from.v)!);
    }
    return { logits: out.get('logits')!.data as Float32Array, next: { sourceRows: state.sourceRows, past, position: state.position + 1 } };
  }

  /** The state with only `rows` of it (in that order): finished rows dropped, beams reordered. */
  select(state: StepState, rows: readonly number[]): StepState {
    if (isIdentity(rows, state.sourceRows.length)) return state;
    const past = new Map<string, Tensor>();
    for (const [k, t] of state.past) past.set(k, selectRows(t, rows));
    return { sourceRows: rows.map((r) => state.sourceRows[r]), past, position: state.position };
  }

  /** Cross keys, values and mask for these source rows; reselected only when the rows change. */
  private sourceTensors(enc: Encoded, rows: readonly number[]): ReadonlyMap<string, Tensor> {
    const same = this.sourceFor && this.sourceFor.rows.length === rows.length && this.sourceFor.rows.every((r, i) => r === rows[i]);
    if (!same) {
      const tensors = new Map<string, Tensor>();
      for (const [k, t] of enc.source) tensors.set(k, isIdentity(rows, enc.batch) ? t : selectRows(t, rows));
      this.sourceFor = { rows: [...rows], tensors };
    }
    return this.sourceFor!.tensors;
  }

  dispose(): void {
    this.encodeExe.dispose();
    this.stepExe.dispose();
  }
}
