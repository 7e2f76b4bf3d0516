// A loaded wasm program: the memory with the weights written (and GEMM panels packed) once, the
// prologue run, and `run`, which binds symbols from the input shapes, lays out the arena for
// them (growing memory when needed), copies inputs in, runs every kernel and copies outputs out.
// With threads, the workers run their share of each kernel between the same barriers.
// Device tensors (resident.ts) are blocks of the same memory (resident-heap.ts): an input held
// there is read in place (its address goes into the pointer table instead of a copy into the
// input's region), and a kept output is written straight into a new block (its buffer's pointer
// redirected before the run), so nothing of either crosses to the host. That part of a run is
// wasm-resident.ts, which an exported model.js runs too.

import type { KernelPlan } from '@smelt/compiler';
import { type Dim, type Tensor, resolveDim, resolveShape } from '@smelt/ir';
import { baseBuffer, kernelReads } from '@smelt/compiler';
import type { RunInputs, RunProfile, TensorInputs } from '../../backend.ts';
import { checkInputs } from '../../input-check.ts';
import type { DeviceTensor, ResidentExecutable, RunValue, TransferCounts } from '../../resident.ts';
import { packQuantized } from '../kernels/gemm-pack.ts';
import { HEADER, SLACK } from '../codegen/memory-map.ts';
import { type OutputSpec, type TensorSpec, ioSpecs } from '../aot/manifest.ts';
import { type WasmProgram, pagesFor } from '../codegen/program.ts';
import { type WasmMemory, type WasmModule, requireWasm } from './engine.ts';
import { bufferAddress, checkWeight, writeTensor } from './host.ts';
import type { ThreadPool } from './threads.ts';
import { trapMessage } from './trap.ts';
import type { ResidentHeap } from './resident-heap.ts';
import { WasmResidency } from './wasm-resident.ts';

export interface ProgramExports {
  layout(threads: number, ...symbols: number[]): number;
  prologue(): void;
  run(tid: number, threads: number, ...symbols: number[]): void;
}

/** The weights a derived buffer is computed from, for messages. */
function derivedFrom(plan: KernelPlan, id: number): string {
  const k = plan.prologue.find((x) => x.kind !== 'topk' && 'out' in x && baseBuffer(plan.buffers, x.out) === id);
  const names = (k ? kernelReads(k) : []).map((r) => plan.buffers[baseBuffer(plan.buffers, r)].storage).flatMap((s) => (s.kind === 'weight' ? [s.name] : []));
  return names.length ? `derived from ${names.map((n) => JSON.stringify(n)).join(', ')}` : 'derived';
}

export class WasmExecutable implements ResidentExecutable {
  private disposed = false;
  /** Device tensors: blocks below the run-time region, and the bytes that crossed. */
  private readonly resident: WasmResidency;
  /** Where each input and output lives (the specs an export's loader binds by). */
  private readonly io: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly OutputSpec[] };

  private constructor(
    readonly plan: KernelPlan,
    readonly program: WasmProgram,
    private readonly memory: WasmMemory,
    private readonly exports: ProgramExports,
    private readonly pool: ThreadPool | undefined,
    resident?: WasmResidency,
  ) {
    this.resident = resident ?? new WasmResidency(memory, program.memory.staticEnd, SLACK, (end) => this.ensureMemory(end));
    this.io = ioSpecs(plan, program.memory);
  }

  /** Device tensors' blocks, below the run-time region. */
  get heap(): ResidentHeap {
    return this.resident.heap;
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
    return new WasmExecutable(plan, program, memory, exe.exports, await pool(module, memory), exe.resident);
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
    return { ...this.resident.counts };
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
    const onDevice = this.resident.deviceInputs(inputs, this.io.inputs);
    const env = checkInputs(this.plan.contract, inputs as RunInputs, onDevice);
    const symbols = this.plan.symbols.map((s) => resolveDim(s, env));
    const shapeOf = (shape: readonly Dim[]) => resolveShape(shape, env);
    const kept = this.resident.allocate(keep, this.io.outputs, shapeOf);
    try {
      new Int32Array(this.memory.buffer, HEADER.runtimeBase, 1)[0] = this.heap.end;
      this.ensureMemory(Math.max(this.heap.end, this.exports.layout(this.threads, ...symbols)));
      this.resident.bind(inputs, this.io.inputs, onDevice, kept);
      this.guard('run', () => body(symbols));
    } catch (e) {
      for (const k of kept) k.tensor.dispose();
      throw e;
    }
    return this.resident.collect(this.io.outputs, kept, shapeOf) as Map<string, RunValue>;
  }

  upload(t: Tensor): DeviceTensor {
    if (this.disposed) throw new Error('wasm executable is disposed');
    return this.resident.upload(t);
  }

  async download(t: DeviceTensor): Promise<Tensor> {
    return this.resident.download(t) as Tensor;
  }

  selectRows(t: DeviceTensor, rows: readonly number[]): DeviceTensor {
    return this.resident.selectRows(t, rows);
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

