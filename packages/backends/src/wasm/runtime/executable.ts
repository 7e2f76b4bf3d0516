// A loaded wasm program: the memory with the weights written (and GEMM panels packed) once, the
// prologue run, and `run`, which binds symbols from the input shapes, lays out the arena for
// them (growing memory when needed), copies inputs in, runs every kernel and copies outputs out.
// With threads, the workers run their share of each kernel between the same barriers.

import type { KernelPlan } from '@smelt/compiler';
import { type Tensor, resolveDim, resolveShape } from '@smelt/ir';
import type { Executable, RunInputs, RunProfile, TensorInputs } from '../../backend.ts';
import { checkInputs, inputOf } from '../../input-check.ts';
import { packPanels } from '../kernels/gemm-pack.ts';
import { HEADER } from '../codegen/memory-map.ts';
import { type WasmProgram, pagesFor } from '../codegen/program.ts';
import { type WasmMemory, type WasmModule, requireWasm } from './engine.ts';
import { bufferAddress, checkWeight, readTensor, writeTensor } from './host.ts';
import type { ThreadPool } from './threads.ts';
import { trapMessage } from './trap.ts';

export interface ProgramExports {
  layout(threads: number, ...symbols: number[]): number;
  prologue(): void;
  run(tid: number, threads: number, ...symbols: number[]): void;
}

export class WasmExecutable implements Executable {
  private disposed = false;

  private constructor(
    readonly plan: KernelPlan,
    readonly program: WasmProgram,
    private readonly memory: WasmMemory,
    private readonly exports: ProgramExports,
    private readonly pool: ThreadPool | undefined,
  ) {}

  /** Instantiate `program`, write the weights, run the prologue, pack GEMM panels. */
  static async load(program: WasmProgram, weights: TensorInputs, pool?: (module: WasmModule, memory: WasmMemory) => Promise<ThreadPool>): Promise<WasmExecutable> {
    const api = requireWasm();
    const plan = program.memory.plan;
    const module = await api.compile(program.bytes);
    const memory = new api.Memory({ initial: pagesFor(program.memory.staticEnd), maximum: program.maximumPages, shared: program.options.threads });
    const instance = await api.instantiate(module, { env: { memory } });
    const exe = new WasmExecutable(plan, program, memory, instance.exports as unknown as ProgramExports, undefined);
    exe.writeLoadTimeData(weights);
    exe.ensureMemory(exe.exports.layout(1, ...plan.symbols.map(() => 0)));
    exe.guard('prologue', () => exe.exports.prologue());
    exe.packPanels(weights);
    if (!pool) return exe;
    return new WasmExecutable(plan, program, memory, exe.exports, await pool(module, memory));
  }

  private writeLoadTimeData(weights: TensorInputs): void {
    for (const [id, address] of this.program.memory.staticAddresses) {
      const b = this.plan.buffers[id];
      if (b.storage.kind === 'weight') writeTensor(this.memory, address, checkWeight(b.storage.name, weights.get(b.storage.name), b));
      if (b.storage.kind === 'constant') writeTensor(this.memory, address, b.storage.value);
    }
  }

  /** Pack each GEMM B once: from the host weight, the constant, or the derived buffer in memory. */
  private packPanels(weights: TensorInputs): void {
    for (const p of this.program.memory.packed) {
      const b = this.plan.buffers[p.source];
      const s = b.storage;
      const src = s.kind === 'weight' ? checkWeight(s.name, weights.get(s.name), b).data as Float32Array
        : s.kind === 'constant' ? s.value.data as Float32Array
          : new Float32Array(this.memory.buffer, bufferAddress(this.program.memory, this.memory, p.source), p.k * p.n);
      const panels = packPanels(src, p.k, p.n, p.transB);
      new Float32Array(this.memory.buffer, p.address, panels.length).set(panels);
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
    const threads = this.threads;
    return this.runWith(inputs, threads, (symbols) => {
      if (this.pool) this.pool.run(symbols, () => this.exports.run(0, threads, ...symbols));
      else this.exports.run(0, 1, ...symbols);
    });
  }

  /** One run on the calling thread (memory laid out as for the pool), each kernel's exported function called and timed alone. */
  async profile(inputs: RunInputs): Promise<RunProfile> {
    const t0 = performance.now();
    const kernels: { index: number; label: string; ms: number }[] = [];
    const fns = this.exports as unknown as Record<string, (tid: number, threads: number, ...symbols: number[]) => void>;
    const outputs = this.runWith(inputs, this.threads, (symbols) => {
      const current = new Int32Array(this.memory.buffer, HEADER.currentKernel, 1);
      this.plan.kernels.forEach((k, index) => {
        current[0] = index;
        const t = performance.now();
        fns[`kernel_${index}`](0, 1, ...symbols);
        kernels.push({ index, label: k.label, ms: performance.now() - t });
      });
    });
    return { outputs, kernels, ms: performance.now() - t0 };
  }

  private runWith(inputs: RunInputs, threads: number, body: (symbols: number[]) => void): Map<string, Tensor> {
    if (this.disposed) throw new Error('wasm executable is disposed');
    const env = checkInputs(this.plan.contract, inputs);
    const symbols = this.plan.symbols.map((s) => resolveDim(s, env));
    this.ensureMemory(this.exports.layout(threads, ...symbols));
    for (const { name, buffer } of this.plan.inputs) {
      writeTensor(this.memory, bufferAddress(this.program.memory, this.memory, buffer), inputOf(inputs, name) as Tensor);
    }
    this.guard('run', () => body(symbols));
    const out = new Map<string, Tensor>();
    for (const { name, buffer } of this.plan.outputs) {
      const b = this.plan.buffers[buffer];
      const address = bufferAddress(this.program.memory, this.memory, buffer);
      out.set(name, readTensor(this.memory, address, b.dtype, resolveShape(b.shape, env)));
    }
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

