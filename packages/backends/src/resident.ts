// Tensors that stay in a backend's own memory between runs (wasm linear memory, GPU buffers, the
// typed arrays of the js backend): an executable can take them as inputs and keep outputs there,
// so a decoding loop feeds one step's caches to the next without copying them to the host and
// back. Every byte that does cross between the host and the backend is counted (`transfers`), so a
// test can prove what stays resident. `residentOf` gives any executable this interface: backends
// without memory of their own (the interpreter, a third party's) hold host tensors.

import { type DType, type Tensor, numel, tensor } from '@smelt/ir';
import type { Executable } from './backend.ts';
import { foreignTensor, isDeviceTensor, rowBytes } from './resident-checks.ts';

/** A tensor held in one executable's memory; only that executable's runs take it. */
export interface DeviceTensor {
  readonly kind: 'device';
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Free its memory; using it afterwards is an error. Disposing twice is allowed. */
  dispose(): void;
}

/** A run input or output: on the host, or in the backend. */
export type RunValue = Tensor | DeviceTensor;

/** Bytes copied between host tensors and the backend's memory since the executable was loaded. */
export interface TransferCounts {
  readonly toBackend: number;
  readonly fromBackend: number;
}

export interface ResidentExecutable extends Executable {
  /** Copy a host tensor into the backend's memory (counted in `transfers`). */
  upload(t: Tensor): DeviceTensor;
  /** Copy a device tensor back to the host (counted). */
  download(t: DeviceTensor): Promise<Tensor>;
  /** Rows `rows` of axis 0 (in that order, a row may repeat) as a new device tensor, copied within the backend. */
  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor;
  /**
   * One run whose inputs may be device tensors of this executable (read where they are), and whose
   * outputs named in `keep` stay in the backend as new device tensors (the caller disposes them);
   * the other outputs come back as host tensors.
   */
  runResident(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>): Promise<Map<string, RunValue>>;
  readonly transfers: TransferCounts;
}

/** How a backend that chooses tokens itself picks the next token of each row from the logits. */
export interface TokenChoice {
  /** The output holding the logits; its last dim is the vocabulary, the rest are rows. */
  readonly logits: string;
  readonly strategy: 'greedy' | 'sample';
  /** sample: the options of the CPU sampler (@smelt/models' sampler.ts). */
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  /** sample: one draw in [0, 1) per row, in row order (the generator's PRNG). */
  readonly draws?: readonly number[];
}

/** An executable that picks tokens where the logits are (WebGPU): only the token ids come back. */
export interface TokenChoosingExecutable extends ResidentExecutable {
  /** runResident, then each row's token chosen in the backend from `choice.logits`, which is not returned. */
  runChoosing(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, choice: TokenChoice): Promise<{ outputs: Map<string, RunValue>; tokens: Int32Array }>;
}

export function choosesTokens(exe: Executable): exe is TokenChoosingExecutable {
  return typeof (exe as Partial<TokenChoosingExecutable>).runChoosing === 'function';
}

/**
 * A token-choosing executable that takes the next run before the last one is read back (WebGPU in
 * process), so a decoding loop keeps the device busy: the next step is encoded and submitted while
 * the device still computes this one, its token input copied from the tokens this one chooses.
 */
export interface SubmittingExecutable extends TokenChoosingExecutable {
  /**
   * runChoosing, returning once the run is submitted: the kept outputs (device tensors, inputs of
   * the next run at once) and `done`, everything runChoosing gives once read back. `fromLastChoice`
   * names an input (i32, one element per row) that takes the tokens the run before this one chose,
   * copied within the backend, instead of its host data (whose shape still gives the rows).
   * `readAfter`: start reading the run back only once it settles (a caller with the next run already
   * submitted can read this one late at no cost to the device; Dawn in Node keeps a core busy
   * polling while a read is pending).
   */
  submitChoosing(
    inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, choice: TokenChoice, fromLastChoice?: string, readAfter?: Promise<unknown>,
  ): Promise<{ kept: Map<string, DeviceTensor>; done: Promise<{ outputs: Map<string, RunValue>; tokens: Int32Array }> }>;
}

export function submitsAhead(exe: Executable): exe is SubmittingExecutable {
  return choosesTokens(exe) && typeof (exe as Partial<SubmittingExecutable>).submitChoosing === 'function';
}

export function isResident(exe: Executable): exe is ResidentExecutable {
  return typeof (exe as Partial<ResidentExecutable>).runResident === 'function';
}

/** The executable itself when it keeps tensors in its own memory, else an adapter holding host tensors. */
export function residentOf(exe: Executable): ResidentExecutable {
  return isResident(exe) ? exe : new HostResident(exe);
}

class HostTensor implements DeviceTensor {
  readonly kind = 'device';
  constructor(readonly value: Tensor, readonly owner: HostResident) {}
  get dtype(): DType { return this.value.dtype; }
  get shape(): readonly number[] { return this.value.shape; }
  dispose(): void {}
}

/** Residency for an executable without memory of its own: device tensors are host tensors, nothing is copied. */
class HostResident implements ResidentExecutable {
  readonly transfers: TransferCounts = { toBackend: 0, fromBackend: 0 };
  constructor(private readonly exe: Executable) {}

  run(inputs: Parameters<Executable['run']>[0]): Promise<Map<string, Tensor>> {
    return this.exe.run(inputs);
  }

  upload(t: Tensor): DeviceTensor {
    return new HostTensor(t, this);
  }

  async download(t: DeviceTensor): Promise<Tensor> {
    return this.own(t, 'download').value;
  }

  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor {
    const v = this.own(t, 'selectRows').value;
    const inner = numel(v.shape.slice(1));
    rowBytes(v, rows, 1);
    const out = tensor(v.dtype, [rows.length, ...v.shape.slice(1)]);
    const src = v.data as Float32Array;
    rows.forEach((r, i) => (out.data as Float32Array).set(src.subarray(r * inner, (r + 1) * inner), i * inner));
    return new HostTensor(out, this);
  }

  async runResident(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>): Promise<Map<string, RunValue>> {
    const host = new Map<string, Tensor>();
    for (const [name, v] of inputs) host.set(name, isDeviceTensor(v) ? this.own(v, `input "${name}"`).value : v);
    const out = await this.exe.run(host);
    return new Map([...out].map(([name, t]) => [name, keep.has(name) ? new HostTensor(t, this) : t]));
  }

  private own(t: DeviceTensor, what: string): HostTensor {
    if (!(t instanceof HostTensor) || t.owner !== this) throw foreignTensor('host', what);
    return t;
  }

  dispose(): void {
    this.exe.dispose();
  }
}
