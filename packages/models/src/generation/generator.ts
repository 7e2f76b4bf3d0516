// The generation API of seq2seq: compile the encode and step graphs once, then `generate` (all
// tokens as one tensor) or `stream` (tokens as each step makes them) with greedy, sampled or beam
// decoding. Rows that finish (eos) are dropped from later steps, so they stop costing work.
// Where the step's backend takes a step before the last one is read back (WebGPU), greedy and
// sampled decoding submit each step ahead of the one before being read back, so the device
// computes while the host reads tokens and prepares the next step (`ahead`).

import { type Graph, type Tensor, tensor } from '@smelt/ir';
import type { Backend, CompileOptions, TransferCounts } from '@smelt/backends';
import type { Seq2SeqConfig } from '../config.ts';
import { weightsFor } from '../io.ts';
import { buildSeq2SeqEncode, buildSeq2SeqStep } from '../models.ts';
import { BeamSearch } from './beam.ts';
import { CachedDecoder, type SourceInputs, type StepState, type SubmittedStep } from './cached-decoder.ts';
import { type GenerateOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { Mulberry32 } from './prng.ts';

/** Record each active row's new token in `last` (by source row); the indices of the rows that go on (not at eos). */
function advance(sourceRows: readonly number[], tokens: Int32Array, last: Int32Array, eos: number | undefined): number[] {
  const keep: number[] = [];
  sourceRows.forEach((r, i) => {
    last[r] = tokens[i];
    if (tokens[i] !== eos) keep.push(i);
  });
  return keep;
}

/** What one step of `stream` yields: the token of every source row (a finished row repeats eos). */
export interface GeneratedStep {
  readonly step: number;
  readonly tokens: Int32Array;
}

export class Seq2SeqGenerator {
  /** Over a decoder of already compiled parts (`compile` makes both); dispose() disposes them. */
  /** `graphs`: what the parts were compiled from (encode, step), for callers that show them. */
  constructor(readonly cfg: Seq2SeqConfig, private readonly decoder: CachedDecoder, readonly graphs: readonly Graph[] = []) {}

  /** Compile the encode and step graphs on a backend; `srcPadding` when inputs carry a padding mask. */
  static async compile(cfg: Seq2SeqConfig, weights: ReadonlyMap<string, Tensor>, backend: Backend, options: CompileOptions = {}, masks: { srcPadding?: boolean } = {}): Promise<Seq2SeqGenerator> {
    const [encodeGraph, stepGraph] = [buildSeq2SeqEncode(cfg, masks), buildSeq2SeqStep(cfg, masks)];
    const encode = await backend.compile(encodeGraph, weightsFor(encodeGraph, weights), options);
    try {
      const step = await backend.compile(stepGraph, weightsFor(stepGraph, weights), options);
      return new Seq2SeqGenerator(cfg, new CachedDecoder(cfg, encode, step), [encodeGraph, stepGraph]);
    } catch (e) {
      encode.dispose();
      throw e;
    }
  }

  /** Bytes copied so far between the host and the step executable's memory (the caches never are; a caller diffs two readings). */
  get transfers(): TransferCounts {
    return this.decoder.transfers;
  }

  /** bos then the generated tokens of every row: i32 [batch, 1 + steps]; `onStep` sees each step as it comes. */
  async generate(inputs: SourceInputs, options: GenerateOptions = {}, onStep?: (step: GeneratedStep) => void): Promise<Tensor<'i32'>> {
    const batch = inputs.src.shape[0];
    const rows = Array.from({ length: batch }, () => [this.cfg.bos]);
    for await (const s of this.stream(inputs, options)) {
      s.tokens.forEach((t, r) => rows[r].push(t));
      onStep?.(s);
    }
    return tensor('i32', [batch, rows[0]?.length ?? 1], Int32Array.from(rows.flat()));
  }

  /** The tokens as they come, one step at a time (beam search yields its best rows once it ends). */
  async *stream(inputs: SourceInputs, options: GenerateOptions = {}): AsyncGenerator<GeneratedStep> {
    const o = resolveOptions(this.cfg, options);
    if (o.strategy === 'beam') yield* this.beam(inputs, o);
    else if (this.decoder.submitsAhead) yield* this.ahead(inputs, o);
    else yield* this.stepwise(inputs, o);
  }

  /** How a step picks its tokens; sampling draws one number per unfinished row from `rng`, in row order (what the CPU sampler takes, row by row). */
  private choice(o: ResolvedOptions, rows: number, rng: Mulberry32) {
    const draws = o.strategy === 'sample' ? Array.from({ length: rows }, () => rng.next()) : undefined;
    return { strategy: o.strategy === 'greedy' ? 'greedy' : 'sample', temperature: o.temperature, topK: o.topK, topP: o.topP, draws } as const;
  }

  /**
   * stepwise on a backend that submits ahead: step t + 1 is submitted, its tokens taken on the
   * device from step t's, before step t's tokens are read back. When a row finishes at step t the
   * step submitted ahead (which still had that row) is dropped and step t + 1 is submitted again
   * without it, with the draws the PRNG gives then; so the tokens are those of stepwise, exactly.
   * With step t + 1 queued behind it, step t can be read late at no cost to the device: the loop
   * waits until shortly before step t should be done (by the time between the last steps' tokens)
   * before asking, so a backend that polls while a read is pending (Dawn in Node keeps a core busy)
   * leaves that core to the device meanwhile.
   */
  private async *ahead(inputs: SourceInputs, o: ResolvedOptions): AsyncGenerator<GeneratedStep> {
    const enc = await this.decoder.encode(inputs);
    let rng = new Mulberry32(o.seed);
    const last = new Int32Array(enc.batch).fill(this.cfg.bos);
    const hostTokens = (s: StepState) => Int32Array.from(s.sourceRows, (r) => last[r]);
    let state = this.decoder.start(enc);
    // `run`: the step in flight (`state` is its grown state); `next`: the one submitted after it.
    let run: SubmittedStep | undefined;
    let next: { readonly run: SubmittedStep; readonly rng: Mulberry32 } | undefined;
    // When the last step's tokens reached the host, and the time between steps' tokens (smoothed).
    let lastAt = 0;
    let interval = 0;
    try {
      if (o.maxNewTokens > 0 && state.sourceRows.length > 0) {
        run = await this.decoder.submitStep(enc, state, hostTokens(state), this.choice(o, state.sourceRows.length, rng), true);
        state = run.next;
      }
      for (let step = 0; run; step++) {
        if (step + 1 < o.maxNewTokens) {
          const ahead = rng.clone();
          next = { run: await this.decoder.submitStep(enc, state, undefined, this.choice(o, state.sourceRows.length, ahead), false), rng: ahead };
        }
        if (next && interval > 0) {
          const wait = lastAt + interval - Math.max(2, interval / 4) - performance.now();
          if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const tokens = await run.read();
        run = undefined;
        const now = performance.now();
        if (lastAt > 0) interval = interval > 0 ? 0.75 * interval + 0.25 * (now - lastAt) : now - lastAt;
        lastAt = now;
        const keep = advance(state.sourceRows, tokens, last, o.eos);
        yield { step, tokens: last.slice() };
        if (!next) break;
        if (keep.length === state.sourceRows.length) {
          this.decoder.drop(state);
          ({ run, rng } = next);
          state = run.next;
          next = undefined;
          continue;
        }
        // The step ahead is read back before the one without the finished rows goes in, so each
        // step's transfers are counted in order (it would finish first on the device anyway).
        const dropped = next;
        next = undefined;
        await dropped.run.read().catch(() => undefined);
        this.decoder.drop(dropped.run.next);
        state = this.decoder.select(state, keep);
        if (state.sourceRows.length === 0) break;
        run = await this.decoder.submitStep(enc, state, hostTokens(state), this.choice(o, state.sourceRows.length, rng), true);
        state = run.next;
      }
    } finally {
      run?.read().catch(() => undefined);
      if (next) {
        next.run.read().catch(() => undefined);
        this.decoder.drop(next.run.next);
      }
      this.decoder.release(enc, state);
    }
  }

  private async *stepwise(inputs: SourceInputs, o: ResolvedOptions): AsyncGenerator<GeneratedStep> {
    const enc = await this.decoder.encode(inputs);
    const rng = new Mulberry32(o.seed);
    const last = new Int32Array(enc.batch).fill(this.cfg.bos);
    let state = this.decoder.start(enc);
    try {
      for (let step = 0; step < o.maxNewTokens && state.sourceRows.length > 0; step++) {
        const choice = this.choice(o, state.sourceRows.length, rng);
        const { tokens, next } = await this.decoder.chooseStep(enc, state, Int32Array.from(state.sourceRows, (r) => last[r]), choice);
        state = next;
        const keep = advance(next.sourceRows, tokens, last, o.eos);
        yield { step, tokens: last.slice() };
        state = this.decoder.select(next, keep);
      }
    } finally {
      this.decoder.release(enc, state);
    }
  }

  private async *beam(inputs: SourceInputs, o: ResolvedOptions): AsyncGenerator<GeneratedStep> {
    const enc = await this.decoder.encode(inputs);
    const search = new BeamSearch(enc.batch, this.cfg.bos, o);
    let state = this.decoder.start(enc);
    try {
      for (let step = 0; step < o.maxNewTokens && !search.allDone; step++) {
        const { tokens } = search.rows();
        const { logits, next } = await this.decoder.step(enc, state, tokens);
        state = next;
        state = this.decoder.select(next, search.advance(logits, this.cfg.tgtVocab));
      }
    } finally {
      this.decoder.release(enc, state);
    }
    const best = search.result();
    const width = Math.max(...best.map((t) => t.length));
    for (let step = 1; step < width; step++) {
      yield { step: step - 1, tokens: Int32Array.from(best, (t) => t[step] ?? o.eos!) };
    }
  }

  dispose(): void {
    this.decoder.dispose();
  }
}
