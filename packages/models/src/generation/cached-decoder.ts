// Cached decoding of seq2seq on any backend: the encode graph runs once per source and gives every
// decoder layer's cross-attention keys and values; the step graph then takes one new token per
// row at position `past` with each layer's self-attention cache and returns the logits and the
// caches grown by one. Everything the step reads again stays in the step executable's memory
// (device tensors, @smelt/backends' resident.ts): the cross keys, values and mask go there once per
// source, and each step's grown caches are kept there as the next step's input; per step only the
// tokens go in and the logits come out. Rows can be picked per step (finished rows dropped, beams
// reordered): the caches and the source-side tensors are selected by row within the backend.
// A state is consumed by `step` and `select` (its caches are freed); `release` frees the rest.
// `chooseStep` also picks each row's next token: where the backend can (WebGPU) it does so itself
// and only the token ids come back; elsewhere the logits come back and the CPU sampler picks.
// Where the backend also takes a step before the last one is read back (`submitsAhead`),
// `submitStep` returns once the step is submitted, its tokens to come; its token input can be the
// tokens the step before chose, copied within the backend.

import { type Tensor, tensor } from '@smelt/ir';
import {
  type DeviceTensor, type Executable, type ResidentExecutable, type RunValue, type TokenChoice, type TransferCounts, choosesTokens, isDeviceTensor, residentOf, submitsAhead,
} from '@smelt/backends';
import type { Seq2SeqConfig } from '../config.ts';
import { CACHE_NAMES } from '../models.ts';
import { isIdentity } from './rows.ts';
import { argmaxRow, sampleRowWith } from './sampler.ts';

/** How to pick the next tokens: a TokenChoice without the output name (the step's is `logits`). */
export type StepChoice = Omit<TokenChoice, 'logits'>;

export interface SourceInputs {
  readonly src: Tensor;
  readonly srcPaddingMask?: Tensor;
}

/** The source side of one generate() call: cross keys and values (and the mask) per source row, in the step's memory. */
export interface Encoded {
  readonly batch: number;
  readonly source: ReadonlyMap<string, DeviceTensor>;
}

/** A step submitted ahead: its grown state at once; `read` starts reading it back and gives its tokens. */
export interface SubmittedStep {
  readonly next: StepState;
  read(): Promise<Int32Array>;
}

/** Decoding state: for each active row, the source row it reads, and the caches of its past tokens (in the step's memory). */
export interface StepState {
  readonly sourceRows: readonly number[];
  readonly past: ReadonlyMap<string, DeviceTensor>;
  readonly position: number;
}

export const freeAll = (tensors: Iterable<DeviceTensor>) => { for (const t of tensors) t.dispose(); };

/** A step's kept present caches of `layers` layers, named as the next step's past ones. */
export function presentAsPast(out: ReadonlyMap<string, RunValue>, layers: number): Map<string, DeviceTensor> {
  const past = new Map<string, DeviceTensor>();
  for (let i = 0; i < layers; i++) {
    const [from, to] = [CACHE_NAMES.present(i), CACHE_NAMES.past(i)];
    past.set(to.k, out.get(from.k) as DeviceTensor).set(to.v, out.get(from.v) as DeviceTensor);
  }
  return past;
}

export class CachedDecoder {
  private sourceFor?: { readonly enc: Encoded; readonly rows: readonly number[]; readonly tensors: ReadonlyMap<string, DeviceTensor> };
  private readonly stepExe: ResidentExecutable;
  private readonly presentNames: ReadonlySet<string>;

  constructor(readonly cfg: Seq2SeqConfig, private readonly encodeExe: Executable, stepExe: Executable) {
    this.stepExe = residentOf(stepExe);
    this.presentNames = new Set(Array.from({ length: cfg.numDecoderLayers }, (_, i) => Object.values(CACHE_NAMES.present(i))).flat());
  }

  /** Bytes copied between the host and the step executable's memory so far (a caller diffs two readings). */
  get transfers(): TransferCounts {
    return this.stepExe.transfers;
  }

  async encode(inputs: SourceInputs): Promise<Encoded> {
    const feed = new Map<string, Tensor>([['src', inputs.src]]);
    if (inputs.srcPaddingMask) feed.set('src_key_padding_mask', inputs.srcPaddingMask);
    const out = await this.encodeExe.run(feed);
    if (inputs.srcPaddingMask) out.set('src_key_padding_mask', inputs.srcPaddingMask);
    const source = new Map([...out].map(([k, t]) => [k, this.stepExe.upload(t)]));
    return { batch: inputs.src.shape[0], source };
  }

  /** The state before the first step: every source row once, empty caches. */
  start(enc: Encoded, sourceRows: readonly number[] = Array.from({ length: enc.batch }, (_, i) => i)): StepState {
    const { nHead, dModel, numDecoderLayers } = this.cfg;
    const empty = tensor('f32', [sourceRows.length, nHead, 0, dModel / nHead]);
    const past = new Map<string, DeviceTensor>();
    for (let i = 0; i < numDecoderLayers; i++) {
      const n = CACHE_NAMES.past(i);
      past.set(n.k, this.stepExe.upload(empty)).set(n.v, this.stepExe.upload(empty));
    }
    return { sourceRows, past, position: 0 };
  }

  /** One step (consumes `state`): a token per active row in, logits [rows, tgtVocab] and the grown state out. */
  async step(enc: Encoded, state: StepState, tokens: Int32Array): Promise<{ logits: Float32Array; next: StepState }> {
    const out = await this.stepExe.runResident(this.feed(enc, state, tokens), this.presentNames);
    const logits = out.get('logits')!;
    if (isDeviceTensor(logits)) throw new Error('internal: logits were kept in the backend');
    return { logits: logits.data as Float32Array, next: this.grown(state, out) };
  }

  /** One step (consumes `state`) that also picks each row's next token: in the backend where it can, else on the host. */
  async chooseStep(enc: Encoded, state: StepState, tokens: Int32Array, choice: StepChoice): Promise<{ tokens: Int32Array; next: StepState }> {
    const exe = this.stepExe;
    if (choosesTokens(exe)) {
      const { outputs, tokens: chosen } = await exe.runChoosing(this.feed(enc, state, tokens), this.presentNames, { ...choice, logits: 'logits' });
      return { tokens: chosen, next: this.grown(state, outputs) };
    }
    const { logits, next } = await this.step(enc, state, tokens);
    const V = this.cfg.tgtVocab;
    const chosen = Int32Array.from(state.sourceRows, (_, i) => (choice.strategy === 'greedy' ? argmaxRow(logits, i * V, V) : sampleRowWith(logits, i * V, V, choice, choice.draws![i])));
    return { tokens: chosen, next };
  }

  /** Whether the step's backend picks tokens itself (chooseStep brings back only token ids). */
  get choosesTokens(): boolean {
    return choosesTokens(this.stepExe);
  }

  /** Whether the step's backend takes a step before the last one is read back (submitStep). */
  get submitsAhead(): boolean {
    return submitsAhead(this.stepExe);
  }

  /**
   * chooseStep, returning once the step is submitted (where `submitsAhead`); it is read back once
   * the caller asks (`read`). `tokens` undefined: the tokens the step submitted before this one
   * chose, copied within the backend. `consume`: free `state`'s caches now; else they stay for the
   * caller (a step submitted ahead of knowing whether it is wanted: `drop` frees them once it is).
   */
  async submitStep(enc: Encoded, state: StepState, tokens: Int32Array | undefined, choice: StepChoice, consume: boolean): Promise<SubmittedStep> {
    const exe = this.stepExe;
    if (!submitsAhead(exe)) throw new Error('internal: submitStep on a backend that does not submit ahead');
    const feed = this.feed(enc, state, tokens ?? new Int32Array(state.sourceRows.length));
    let open = () => {};
    const asked = new Promise<void>((resolve) => { open = resolve; });
    const { kept, done } = await exe.submitChoosing(feed, this.presentNames, { ...choice, logits: 'logits' }, tokens ? undefined : 'tgt', asked);
    if (consume) freeAll(state.past.values());
    const next = { sourceRows: state.sourceRows, past: presentAsPast(kept, this.cfg.numDecoderLayers), position: state.position + 1 };
    const chosen = done.then((d) => d.tokens);
    chosen.catch(() => undefined); // a step never read fails quietly; `read` still rejects
    return { next, read: () => (open(), chosen) };
  }

  /** Free a state's caches (one that submitStep did not consume). */
  drop(state: StepState): void {
    freeAll(state.past.values());
  }

  private feed(enc: Encoded, state: StepState, tokens: Int32Array): Map<string, RunValue> {
    const feed = new Map<string, RunValue>(this.sourceTensors(enc, state.sourceRows));
    for (const [k, t] of state.past) feed.set(k, t);
    feed.set('tgt', tensor('i32', [state.sourceRows.length, 1], tokens));
    return feed;
  }

  /** The state after a step: the step's present caches as the next past; the old caches freed. */
  private grown(state: StepState, out: ReadonlyMap<string, RunValue>): StepState {
    freeAll(state.past.values());
    return { sourceRows: state.sourceRows, past: presentAsPast(out, this.cfg.numDecoderLayers), position: state.position + 1 };
  }

  /** The state with only `rows` of it (in that order; consumes `state`): finished rows dropped, beams reordered. */
  select(state: StepState, rows: readonly number[]): StepState {
    if (isIdentity(rows, state.sourceRows.length)) return state;
    const past = new Map<string, DeviceTensor>();
    for (const [k, t] of state.past) past.set(k, this.stepExe.selectRows(t, rows));
    freeAll(state.past.values());
    return { sourceRows: rows.map((r) => state.sourceRows[r]), past, position: state.position };
  }

  /** Free what a generation holds in the backend: the state's caches and the source's tensors. */
  release(enc: Encoded, state?: StepState): void {
    if (state) freeAll(state.past.values());
    this.dropSelection();
    freeAll(enc.source.values());
  }

  /** Cross keys, values and mask for these source rows; reselected (within the backend) only when the rows change. */
  private sourceTensors(enc: Encoded, rows: readonly number[]): ReadonlyMap<string, DeviceTensor> {
    const s = this.sourceFor;
    const same = s && s.enc === enc && s.rows.length === rows.length && s.rows.every((r, i) => r === rows[i]);
    if (same) return s.tensors;
    this.dropSelection();
    if (isIdentity(rows, enc.batch)) return enc.source;
    const tensors = new Map([...enc.source].map(([k, t]) => [k, this.stepExe.selectRows(t, rows)]));
    this.sourceFor = { enc, rows: [...rows], tensors };
    return tensors;
  }

  private dropSelection(): void {
    if (this.sourceFor) freeAll(this.sourceFor.tensors.values());
    this.sourceFor = undefined;
  }

  dispose(): void {
    this.dropSelection();
    this.encodeExe.dispose();
    this.stepExe.dispose();
  }
}
