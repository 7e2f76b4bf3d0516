// A loaded wasm program: the memory with the weights written (and GEMM panels packed) once, the
// prologue run, and `run`, which binds symbols from the input shapes, lays out the arena for
// them (growing memory when needed), copies inputs in, runs every kernel and copies outputs out.
// With threads, the workers run their share of each kernel between the same barriers.
// Device tensors (resident.ts) are blocks of the same memory (resident-heap.ts): an input held
// there is read in place (its address goes into the pointer table instead of a copy into the
// input's region), and a kept output is written straight into a new block (its buffer's pointer
// redirected before the run), so nothing of either crosses to the host.

import type { KernelPlan } from '@smelt/compiler';
import { BYTES_PER_ELEMENT, type Tensor, resolveDim, resolveShape } from '@smelt/ir';
import { baseBuffer, bufferBytes, kernelReads } from '@smelt/compiler';
import type { RunInputs, RunProfile, TensorInputs } from '../../backend.ts';
import { checkInputs, inputOf } from '../../input-check.ts';
import { type DeviceTensor, type ResidentExecutable, type RunValue, type TransferCounts, foreignTensor, isDeviceTensor, rowBytes } from '../../resident.ts';
import { packQuantized } from '../kernels/gemm-pack.ts';
import { HEADER } from '../codegen/memory-map.ts';
import { type WasmProgram, pagesFor } from '../codegen/program.ts';
import { type WasmMemory, type WasmModule, requireWasm } from './engine.ts';
import { bufferAddress, checkWeight, readTensor, writeTensor } from './host.ts';
import type { ThreadPool } from './threads.ts';
import { trapMessage } from './trap.ts';
import { ResidentHeap } from './resident-heap.ts';

export interface ProgramExports {
  layout(threads: number, ...symbols: number[]): number;
  prologue(): void;
  run(tid: number, threads: number, ...symbols: number[]): void;
}

/** A block of the executable's memory holding one tensor. */
class WasmDeviceTensor implements DeviceTensor {
  readonly kind = 'device';
  live = true;
  constructor(readonly dtype: Tensor['dtype'], readonly shape: readonly number[], readonly address: number, readonly bytes: number, readonly owner: WasmExecutable) {}
  dispose(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.heap.release(this.address, this.bytes);
  }
}

/** The weights a derived buffer is computed from, for messages. */
function derivedFrom(plan: KernelPlan, id: number): string {
  const k = plan.prologue.find((x) => x.kind !== 'topk' && 'out' in x && baseBuffer(plan.buffers, x.out) === id);
  const names = (k ? kernelReads(k) : []).map((r) => plan.buffers[baseBuffer(plan.buffers, r)].storage).flatMap((s) => (s.kind === 'weight' ? [s.name] : []));
  return names.length ? `derived from ${names.map((n) => JSON.stringify(n)).join(', ')}` : 'derived';
}

export class WasmExecutable implements ResidentExecutable {
  private disposed = false;
  /** Device tensors' blocks, below the run-time region. */
  readonly heap: ResidentHeap;
  private readonly counts = { toBackend: 0, fromBackend: 0 };

  private constructor(
    readonly plan: KernelPlan,
    readonly program: WasmProgram,
    private readonly memory: WasmMemory,
    private readonly exports: ProgramExports,
    private readonly pool: ThreadPool | undefined,
    heap?: ResidentHeap,
  ) {
    this.heap = heap ?? new ResidentHeap(program.memory.staticEnd);
  }

  /** Instantiate `program`, write the weights, run the prologue, pack GEMM panels. */
  static async load(program: WasmProgram, weights: TensorInputs, pool?: (module: WasmModule, memory: WasmMemory) => Promise<ThreadPool>): Promise<WasmExecutable> {
    const api = requireWasm();
    const plan = program.memory.plan;
    const module = await api.compile(program.bytes);
    const memory = new api.Memory({ initial: pagesFor(program.memory.loadEnd), maximum: program.maximumPages, shared: program.options.threads });
    const instance = await api.instantiate(module, { env: { memory } });
    const exe = new WasmExecutable(plan, program, memory, instance.exports as unknown as ProgramExports, undefined);
    // What only loading needs sits in [staticEnd, loadEnd): the run-time region starts above it
    // until the panels are packed, then where the load-time region ends (memory-map.ts).
    new Int32Array(memory.buffer, HEADER.runtimeBase, 1)[0] = program.memory.loadEnd;
    exe.ensureMemory(exe.exports.layout(1, ...plan.symbols.map(() => 0)));
    exe.writeLoadTimeData(weights);
    exe.guard('prologue', () => exe.exports.prologue());
    exe.packPanels(weights);
    new Int32Array(memory.buffer, HEADER.runtimeBase, 1)[0] = 0;
    if (!pool) return exe;
    return new WasmExecutable(plan, program, memory, exe.exports, await pool(module, memory), exe.heap);
  }

  private writeLoadTimeData(weights: TensorInputs): void {
    for (const [id, address] of this.program.memory.staticAddresses) {
      const b = this.plan.buffers[id];
      if (b.storage.kind === 'weight') writeTensor(this.memory, address, checkWeight(b.storage.name, weights.get(b.storage.name), b));
      if (b.storage.kind === 'constant') writeTensor(this.memory, address, b.storage.value);
    }
  }

  /** Pack each GEMM B once (quantized when its panels are int8 or f16): from the host weight, the constant, or the derived buffer in memory. */
  private packPanels(weights: TensorInputs): void {
    for (const p of this.program.memory.packed) {
      const b = this.plan.buffers[p.source];
      const s = b.storage;
      const src = s.kind === 'weight' ? checkWeight(s.name, weights.get(s.name), b).data as Float32Array
        : s.kind === 'constant' ? s.value.data as Float32Array
          : new Float32Array(this.memory.buffer, bufferAddress(this.program.memory, this.memory, p.source), p.k * p.n);
      const { panels, scales } = packQuantized(s.kind === 'weight' ? s.name : `%${p.source} (${derivedFrom(this.plan, p.source)})`, src, p);
      new Uint8Array(this.memory.buffer, p.address, panels.byteLength).set(new Uint8Array(panels.buffer, panels.byteOffset, panels.byteLength));
      if (scales && p.scales !== undefined) new Float32Array(this.memory.buffer, p.scales, scales.length).set(scales);
    }
  }

  private ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength / 65536;
    const need = pagesFor(bytes);
    if (need > this.program.maximumPages) throw new Error(`wasm: these shapes need ${need} pages of memory, more than the ${this.program.maximumPages} allowed`);
    if (need > have) this.memory.grow(need - have);
  }

  /** Run wasm code; a trap becomes an error naming the kernel it happened in. */
  private guard(what: string, body: () => void): void {
    try {
      body();
    } catch (e) {
      if (!(e instanceof requireWasm().RuntimeError)) throw e;
      const i = new Int32Array(this.memory.buffer, HEADER.currentKernel, 1)[0];
      throw new Error(trapMessage(what, i, what === 'run' ? this.plan.kernels[i] : undefined, (e as Error).message));
    }
  }

  /** Threads each run uses (the requested count, at most the number of cores). */
  get threads(): number {
    return this.pool?.size ?? 1;
  }

  async run(inputs: RunInputs): Promise<Map<string, Tensor>> {
    return this.runSync(inputs);
  }

  runSync(inputs: RunInputs): Map<string, Tensor> {
    return this.runWith(inputs, new Set(), (symbols) => this.runKernels(symbols)) as Map<string, Tensor>;
  }

  async runResident(inputs: ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>): Promise<Map<string, RunValue>> {
    return this.runWith(inputs, keep, (symbols) => this.runKernels(symbols));
  }

  get transfers(): TransferCounts {
    return { ...this.counts };
  }

  /** One run on the calling thread (memory laid out as for the pool), each kernel's exported function called and timed alone. */
  async profile(inputs: RunInputs): Promise<RunProfile> {
    const t0 = performance.now();
    const kernels: { index: number; label: string; ms: number }[] = [];
    const fns = this.exports as unknown as Record<string, (tid: number, threads: number, ...symbols: number[]) => void>;
    const outputs = this.runWith(inputs, new Set(), (symbols) => {
      const current = new Int32Array(this.memory.buffer, HEADER.currentKernel, 1);
      // A threaded build's loops take work from counters a pool run zeroes first (pool-run.ts):
      // zeroed here too, or every loop finds its counter spent by the last run and does nothing.
      const counterBase = new Int32Array(this.memory.buffer, HEADER.counterBase, 1)[0];
      new Int32Array(this.memory.buffer, counterBase, this.program.counters).fill(0);
      this.plan.kernels.forEach((k, index) => {
        current[0] = index;
        const t = performance.now();
        fns[`kernel_${index}`](0, 1, ...symbols);
        kernels.push({ index, label: k.label, ms: performance.now() - t });
      });
    }) as Map<string, Tensor>;
    return { outputs, kernels, ms: performance.now() - t0 };
  }

  private runKernels(symbols: number[]): void {
    const threads = this.threads;
    if (this.pool) this.pool.run(symbols, () => this.exports.run(0, threads, ...symbols));
    else this.exports.run(0, 1, ...symbols);
  }

  private runWith(inputs: RunInputs | ReadonlyMap<string, RunValue>, keep: ReadonlySet<string>, body: (symbols: number[]) => void): Map<string, RunValue> {
    if (this.disposed) throw new Error('wasm executable is disposed');
    const onDevice = new Set<string>();
    for (const { name } of this.plan.inputs) {
      const v = inputOf(inputs as RunInputs, name) as RunValue | undefined;
      if (isDeviceTensor(v)) {
        this.own(v, `input "${name}"`);
        onDevice.add(name);
      }
    }
    const env = checkInputs(this.plan.contract, inputs as RunInputs, onDevice);
    const symbols = this.plan.symbols.map((s) => resolveDim(s, env));
    const threads = this.threads;
    const kept = this.allocateKept(keep, env);
    try {
      new Int32Array(this.memory.buffer, HEADER.runtimeBase, 1)[0] = this.heap.end;
      this.ensureMemory(Math.max(this.heap.end, this.exports.layout(threads, ...symbols)));
      this.placeInputs(inputs as RunInputs, onDevice);
      for (const k of kept) if (k.redirect) this.setPointer(k.base, k.tensor.address);
      this.guard('run', () => body(symbols));
    } catch (e) {
      for (const k of kept) k.tensor.dispose();
      throw e;
    }
    const out = new Map<string, RunValue>();
    for (const { name, buffer } of this.plan.outputs) {
      const k = kept.find((x) => x.name === name);
      const address = bufferAddress(this.program.memory, this.memory, buffer);
      if (k && !k.redirect) new Uint8Array(this.memory.buffer).copyWithin(k.tensor.address, address, address + k.tensor.bytes);
      if (k) {
        out.set(name, k.tensor);
        continue;
      }
      const b = this.plan.buffers[buffer];
      const t = readTensor(this.memory, address, b.dtype, resolveShape(b.shape, env));
      this.counts.fromBackend += t.data.byteLength;
      out.set(name, t);
    }
    return out;
  }

  /**
   * A block per kept output. Its buffer's pointer is redirected to the block when the buffer is an
   * arena buffer no other kept output shares; otherwise it is copied there after the run (within memory).
   */
  private allocateKept(keep: ReadonlySet<string>, env: ReadonlyMap<string, number>): { name: string; base: number; redirect: boolean; tensor: WasmDeviceTensor }[] {
    const redirected = new Set<number>();
    const kept = [];
    for (const { name, buffer } of this.plan.outputs) {
      if (!keep.has(name)) continue;
      const b = this.plan.buffers[buffer];
      const base = baseBuffer(this.plan.buffers, buffer);
      const redirect = this.plan.buffers[base].storage.kind === 'arena' && !redirected.has(base);
      if (redirect) redirected.add(base);
      const bytes = bufferBytes(this.plan.buffers[base], env);
      const tensor = new WasmDeviceTensor(b.dtype, resolveShape(b.shape, env), this.heap.allocate(bytes), bytes, this);
      kept.push({ name, base, redirect, tensor });
    }
    return kept;
  }

  /** Host inputs copied into their regions; device inputs read where they are. */
  private placeInputs(inputs: RunInputs, onDevice: ReadonlySet<string>): void {
    for (const { name, buffer } of this.plan.inputs) {
      const v = inputOf(inputs, name) as RunValue;
      if (onDevice.has(name)) {
        this.setPointer(baseBuffer(this.plan.buffers, buffer), (v as WasmDeviceTensor).address);
        continue;
      }
      writeTensor(this.memory, bufferAddress(this.program.memory, this.memory, buffer), v as Tensor);
      this.counts.toBackend += (v as Tensor).data.byteLength;
    }
  }

  private setPointer(base: number, address: number): void {
    new Int32Array(this.memory.buffer, this.program.memory.pointerSlot(base), 1)[0] = address;
  }

  private own(t: DeviceTensor, what: string): WasmDeviceTensor {
    if (!(t instanceof WasmDeviceTensor) || t.owner !== this || !t.live) throw foreignTensor('wasm', what);
    return t;
  }

  /** A new block holding `t`, grown into the memory when needed. */
  private block(dtype: Tensor['dtype'], shape: readonly number[], bytes: number): WasmDeviceTensor {
    const t = new WasmDeviceTensor(dtype, shape, this.heap.allocate(bytes), bytes, this);
    this.ensureMemory(this.heap.end);
    return t;
  }

  upload(t: Tensor): DeviceTensor {
    if (this.disposed) throw new Error('wasm executable is disposed');
    const d = this.block(t.dtype, t.shape, t.data.byteLength);
    writeTensor(this.memory, d.address, t);
    this.counts.toBackend += t.data.byteLength;
    return d;
  }

  async download(t: DeviceTensor): Promise<Tensor> {
    const d = this.own(t, 'download');
    const out = readTensor(this.memory, d.address, d.dtype, d.shape);
    this.counts.fromBackend += out.data.byteLength;
    return out;
  }

  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor {
    const d = this.own(t, 'selectRows');
    const row = rowBytes(d, rows, BYTES_PER_ELEMENT[d.dtype]);
    const out = this.block(d.dtype, [rows.length, ...d.shape.slice(1)], row * rows.length);
    const bytes = new Uint8Array(this.memory.buffer);
    rows.forEach((r, i) => bytes.copyWithin(out.address + i * row, d.address + r * row, d.address + (r + 1) * row));
    return out;
  }

  /** The load-time region as loaded: weights, constants, derived weights, packed panels (what AOT export saves). */
  loadTimeImage(): Uint8Array {
    const m = this.program.memory;
    return new Uint8Array(this.memory.buffer, m.staticBase, m.staticEnd - m.staticBase).slice();
  }

  dispose(): void {
    this.disposed = true;
    this.pool?.close();
  }
}

