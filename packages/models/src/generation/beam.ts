// Beam search over cached decoding, specified so that scripts/generation_reference.py (plain
// PyTorch) makes the same choices. Per source row, starting from one live hypothesis [bos]:
//   - each step scores every (live hypothesis, token) as score + log_softmax(logits)[token] (f64)
//     and orders the candidates by score descending, then hypothesis, then token ascending;
//   - walking the first 2·numBeams candidates: one ending in eos among the first numBeams is
//     finished with the normalized score score / len^lengthPenalty (len: its tokens before eos,
//     bos included; the best numBeams finished are kept); any other candidate becomes live until
//     numBeams are live;
//   - a row is done once numBeams have finished and either earlyStopping, or no live hypothesis
//     can beat the worst finished one (best live score / len^lengthPenalty <= worst finished);
//   - after maxNewTokens steps the live hypotheses are finished as they are. The answer is the
//     finished hypothesis with the best normalized score (the first found on ties).

import { logSoftmaxRow } from './sampler.ts';

interface Live {
  readonly tokens: readonly number[];
  readonly score: number;
}

interface Finished {
  readonly tokens: readonly number[];
  readonly norm: number;
}

export interface BeamOptions {
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: boolean;
  readonly eos: number | undefined;
}

export class BeamSearch {
  private readonly live: Live[][];
  private readonly finished: Finished[][];
  private readonly done: boolean[];

  constructor(batch: number, bos: number, private readonly o: BeamOptions) {
    this.live = Array.from({ length: batch }, () => [{ tokens: [bos], score: 0 }]);
    this.finished = Array.from({ length: batch }, () => []);
    this.done = new Array<boolean>(batch).fill(false);
  }

  get allDone(): boolean {
    return this.done.every(Boolean);
  }

  /** The rows to run next, in order: each undone source row's live hypotheses. */
  rows(): { sourceRows: number[]; tokens: Int32Array } {
    const sourceRows: number[] = [];
    const tokens: number[] = [];
    this.live.forEach((hyps, b) => {
      if (this.done[b]) return;
      for (const h of hyps) {
        sourceRows.push(b);
        tokens.push(h.tokens[h.tokens.length - 1]);
      }
    });
    return { sourceRows, tokens: Int32Array.from(tokens) };
  }

  /** Advance with the logits of `rows()` ([rows, vocab]); returns, per new live hypothesis, the row it extends. */
  advance(logits: Float32Array, vocab: number): number[] {
    const from: number[] = [];
    let row = 0;
    this.live.forEach((hyps, b) => {
      if (this.done[b]) return;
      const base = row;
      row += hyps.length;
      const cands: { score: number; j: number; t: number }[] = [];
      hyps.forEach((h, j) => {
        const lp = logSoftmaxRow(logits, (base + j) * vocab, vocab);
        for (let t = 0; t < vocab; t++) cands.push({ score: h.score + lp[t], j, t });
      });
      cands.sort((x, y) => y.score - x.score || x.j - y.j || x.t - y.t);
      const next: Live[] = [];
      for (let rank = 0; rank < Math.min(cands.length, 2 * this.o.numBeams) && next.length < this.o.numBeams; rank++) {
        const c = cands[rank];
        const h = hyps[c.j];
        if (c.t === this.o.eos) {
          if (rank < this.o.numBeams) this.finish(b, [...h.tokens, c.t], c.score / h.tokens.length ** this.o.lengthPenalty);
        } else {
          next.push({ tokens: [...h.tokens, c.t], score: c.score });
          from.push(base + c.j);
        }
      }
      this.live[b] = next;
      this.done[b] = this.isDone(b);
      if (this.done[b]) from.splice(from.length - next.length, next.length);
    });
    return from;
  }

  /** The best finished hypothesis per source row (live ones finish as they are), padded with eos. */
  result(): number[][] {
    return this.live.map((hyps, b) => {
      if (!this.done[b]) for (const h of hyps) this.finish(b, h.tokens, h.score / h.tokens.length ** this.o.lengthPenalty);
      return this.finished[b].reduce((best, f) => (f.norm > best.norm ? f : best)).tokens.slice();
    });
  }

  private finish(b: number, tokens: readonly number[], norm: number): void {
    const list = this.finished[b];
    list.push({ tokens, norm });
    if (list.length > this.o.numBeams) {
      let worst = 0;
      list.forEach((f, i) => { if (f.norm < list[worst].norm) worst = i; });
      list.splice(worst, 1);
    }
  }

  private isDone(b: number): boolean {
    const list = this.finished[b];
    if (this.live[b].length === 0) return true;
    if (list.length < this.o.numBeams) return false;
    if (this.o.earlyStopping) return true;
    const worst = Math.min(...list.map((f) => f.norm));
    const bestLive = Math.max(...this.live[b].map((h) => h.score / h.tokens.length ** this.o.lengthPenalty));
    return bestLive <= worst;
  }
}
