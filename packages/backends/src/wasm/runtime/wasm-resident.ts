// Device tensors of a wasm module (resident.ts): blocks of its linear memory in the resident heap
// (resident-heap.ts), and the part of a run that binds them. Shared by the in-process executable
// (runtime/executable.ts) and an exported model.js, which carries this file's text (aot/loader.ts,
// scripts/embed.ts), so it imports only files embedded before it. Both bind inputs and outputs from
// the same specs (aot/manifest.ts ioSpecs): an input held here is read in place (its block's
// address goes into its pointer-table slot instead of a copy into the input's region); a kept
// output is written straight into a new block (its buffer's slot redirected before the run) when
// it is an arena buffer no other kept output shares, else copied there after the run, within
// memory. Every byte that crosses to or from the host is counted.

import { foreignTensor, isDeviceTensor, rowBytes } from '../../resident-checks.ts';
import { inputOf } from '../../input-check.ts';
import { ResidentHeap } from './resident-heap.ts';

export type WasmDType = 'f32' | 'f16' | 'i32' | 'i64' | 'u8' | 'bool';
type Dim = number | string;

/** An input or output: its declared type, and a fixed address or the address of its pointer-table slot. */
export interface WasmIoSpec {
  readonly name: string;
  readonly dtype: WasmDType;
  readonly shape: readonly Dim[];
  readonly address?: number;
  readonly slot?: number;
}

export interface WasmOutputSpec extends WasmIoSpec {
  readonly base: { readonly dtype: WasmDType; readonly shape: readonly Dim[]; readonly arena: boolean };
}

/** A tensor on the host side of the memory. */
export interface WasmHostTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: ArrayBufferView;
}

export const WASM_ARRAYS = { f32: Float32Array, f16: Uint16Array, i32: Int32Array, i64: BigInt64Array, u8: Uint8Array, bool: Uint8Array };

/** Concrete dims of a declared shape for the run's symbol values. */
export type ShapeOf = (shape: readonly Dim[]) => number[];

/** A block of the memory holding one tensor. */
export class WasmDeviceTensor {
  readonly kind = 'device';
  live = true;
  constructor(readonly dtype: WasmDType, readonly shape: readonly number[], readonly address: number, readonly bytes: number, readonly owner: WasmResidency) {}
  dispose(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.heap.release(this.address, this.bytes);
  }
}

/** A kept output of one run: its block, and whether its kernels write the block directly. */
export interface KeptOutput {
  readonly spec: WasmOutputSpec;
  readonly redirect: boolean;
  readonly tensor: WasmDeviceTensor;
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const bytesOf = (dtype: WasmDType, shape: readonly number[]) => elements(shape) * WASM_ARRAYS[dtype].BYTES_PER_ELEMENT;

export class WasmResidency {
  readonly heap: ResidentHeap;
  /** Bytes copied between host tensors and the memory (resident.ts TransferCounts). */
  readonly counts = { toBackend: 0, fromBackend: 0 };

  /** `base`: the end of the load-time region; `ensure(end)`: grow the memory to hold `end` bytes. */
  constructor(private readonly memory: { readonly buffer: ArrayBufferLike }, base: number, slack: number, private readonly ensure: (end: number) => void) {
    this.heap = new ResidentHeap(base, slack);
  }

  /** Where a spec's tensor is now: its fixed address, or what its pointer-table slot holds. */
  addressOf(spec: WasmIoSpec): number {
    return spec.address ?? new Int32Array(this.memory.buffer, spec.slot!, 1)[0];
  }

  own(t: unknown, what: string): WasmDeviceTensor {
    if (!(t instanceof WasmDeviceTensor) || t.owner !== this || !t.live) throw foreignTensor('wasm', what);
    return t;
  }

  /** The inputs given as device tensors (each checked to be a live one of this memory). */
  deviceInputs(inputs: object, specs: readonly WasmIoSpec[]): Set<string> {
    const onDevice = new Set<string>();
    for (const { name } of specs) {
      const v = inputOf(inputs as never, name);
      if (!isDeviceTensor(v)) continue;
      this.own(v, `input "${name}"`);
      onDevice.add(name);
    }
    return onDevice;
  }

  /** A block per kept output, before the run; an unknown name in `keep` is an error. */
  allocate(keep: ReadonlySet<string>, outputs: readonly WasmOutputSpec[], shapeOf: ShapeOf): KeptOutput[] {
    for (const name of keep) if (!outputs.some((o) => o.name === name)) throw new Error(`runResident: no output ${JSON.stringify(name)} to keep`);
    const redirected = new Set<number>();
    const kept: KeptOutput[] = [];
    for (const spec of outputs) {
      if (!keep.has(spec.name)) continue;
      const redirect = spec.base.arena && spec.slot !== undefined && !redirected.has(spec.slot);
      if (redirect) redirected.add(spec.slot!);
      const bytes = bytesOf(spec.base.dtype, shapeOf(spec.base.shape));
      kept.push({ spec, redirect, tensor: new WasmDeviceTensor(spec.dtype, shapeOf(spec.shape), this.heap.allocate(bytes), bytes, this) });
    }
    return kept;
  }

  /** After the module's `layout`: host inputs copied into their regions (counted), device inputs and redirected outputs bound by address. */
  bind(inputs: object, specs: readonly WasmIoSpec[], onDevice: ReadonlySet<string>, kept: readonly KeptOutput[]): void {
    for (const spec of specs) {
      const v = inputOf(inputs as never, spec.name) as unknown;
      if (onDevice.has(spec.name)) {
        this.setSlot(spec, (v as WasmDeviceTensor).address);
        continue;
      }
      const d = (v as WasmHostTensor).data;
      new Uint8Array(this.memory.buffer, this.addressOf(spec), d.byteLength).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      this.counts.toBackend += d.byteLength;
    }
    for (const k of kept) if (k.redirect) this.setSlot(k.spec, k.tensor.address);
  }

  private setSlot(spec: WasmIoSpec, address: number): void {
    if (spec.slot === undefined) throw new Error(`internal: ${JSON.stringify(spec.name)} has a fixed address`);
    new Int32Array(this.memory.buffer, spec.slot, 1)[0] = address;
  }

  /** After the run: the kept outputs as device tensors (copied within memory where not redirected), the others read out (counted). */
  collect(outputs: readonly WasmOutputSpec[], kept: readonly KeptOutput[], shapeOf: ShapeOf): Map<string, WasmHostTensor | WasmDeviceTensor> {
    const out = new Map<string, WasmHostTensor | WasmDeviceTensor>();
    for (const spec of outputs) {
      const k = kept.find((x) => x.spec === spec);
      const address = this.addressOf(spec);
      if (k && !k.redirect) new Uint8Array(this.memory.buffer).copyWithin(k.tensor.address, address, address + k.tensor.bytes);
      out.set(spec.name, k ? k.tensor : this.read(address, spec.dtype, shapeOf(spec.shape)));
    }
    return out;
  }

  private read(address: number, dtype: WasmDType, shape: number[]): WasmHostTensor {
    const data = new WASM_ARRAYS[dtype](elements(shape));
    new Uint8Array(data.buffer).set(new Uint8Array(this.memory.buffer, address, data.byteLength));
    this.counts.fromBackend += data.byteLength;
    return { dtype, shape, data };
  }

  /** A new block for a tensor of this type, the memory grown to hold it. */
  private block(dtype: WasmDType, shape: readonly number[]): WasmDeviceTensor {
    const bytes = bytesOf(dtype, shape);
    const t = new WasmDeviceTensor(dtype, [...shape], this.heap.allocate(bytes), bytes, this);
    this.ensure(this.heap.end);
    return t;
  }

  upload(t: WasmHostTensor): WasmDeviceTensor {
    if (!(t.dtype in WASM_ARRAYS) || !Array.isArray(t.shape) || !(t.data instanceof WASM_ARRAYS[t.dtype as WasmDType]) || (t.data as Uint8Array).length !== elements(t.shape)) {
      throw new Error(`upload: expected a tensor { dtype, shape, data } with data of its dtype's array type and shape's length, got ${t.dtype}[${t.shape}]`);
    }
    const d = this.block(t.dtype as WasmDType, t.shape);
    new Uint8Array(this.memory.buffer, d.address, d.bytes).set(new Uint8Array(t.data.buffer, t.data.byteOffset, d.bytes));
    this.counts.toBackend += d.bytes;
    return d;
  }

  download(t: unknown): WasmHostTensor {
    const d = this.own(t, 'download');
    return this.read(d.address, d.dtype, [...d.shape]);
  }

  selectRows(t: unknown, rows: readonly number[]): WasmDeviceTensor {
    const d = this.own(t, 'selectRows');
    const row = rowBytes(d, rows, WASM_ARRAYS[d.dtype].BYTES_PER_ELEMENT);
    const out = this.block(d.dtype, [rows.length, ...d.shape.slice(1)]);
    const bytes = new Uint8Array(this.memory.buffer);
    rows.forEach((r, i) => bytes.copyWithin(out.address + i * row, d.address + r * row, d.address + (r + 1) * row));
    return out;
  }
}
