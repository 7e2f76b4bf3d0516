// One WebAssembly module per kernel plan. Exports:
//   layout(threads, ...symbols) → bytes   place the arena, inputs and per-thread scratch for these
//                                          symbol values in the pointer table; the end address
//   prologue()                             run the load-time kernels (derived weights)
//   run(tid, threads, ...symbols)          one forward pass; each thread calls it with its id, the
//                                          work of every kernel is split and a barrier follows it
//   kernel_<i>(tid, threads, ...symbols)   kernel i alone (profiling)
// Every kernel is its own function (tid, threads, ...symbols), so one module serves every
// sequence length and every thread count up to the shared memory's.

import type { Kernel, KernelPlan, WeightsDType } from '@smelt/compiler';
import { BYTES_PER_ELEMENT, type Dim } from '@smelt/ir';
import { BackendError } from '../../backend.ts';
import type { Code } from '../encoder/code.ts';
import { type FuncRef, ModuleBuilder } from '../encoder/module.ts';
import type { ValType } from '../encoder/opcodes.ts';
import { requireCapabilities } from '../../backend.ts';
import { WASM_CAPABILITIES, kernelGen } from '../kernels/index.ts';
import { type DimSource, KernelCtx, ProgramCtx, type SimdLevel, dimProductVal } from './context.ts';
import { HEADER, MemoryMap, SLACK, alignUp } from './memory-map.ts';
import { type Val, bind, get, i32, iadd, op } from './ops.ts';

export interface ProgramOptions {
  readonly simd: SimdLevel;
  /** Import a shared memory and put a barrier between kernels, so several threads can run. */
  readonly threads: boolean;
  /** How matmul weight matrices are stored (f32 when absent): memory-map.ts. */
  readonly weightsDtype?: WeightsDType;
}

export interface WasmProgram {
  readonly bytes: Uint8Array;
  readonly memory: MemoryMap;
  readonly options: ProgramOptions;
  /** The largest memory the module accepts, in 64 KiB pages. */
  readonly maximumPages: number;
  /** Every function of the module with its body size, in index order. */
  readonly functions: readonly { readonly name: string; readonly bytes: number }[];
  /** Work counters of threaded loops (at HEADER.counterBase), to zero before each threaded run. */
  readonly counters: number;
}

export const MAX_PAGES = 32768;
export const pagesFor = (bytes: number) => Math.ceil(bytes / 65536);

class ParamDims implements DimSource {
  constructor(private readonly plan: KernelPlan, private readonly c: Code, private readonly first: number) {}

  dim(d: Dim): Val {
    if (typeof d === 'number') return i32(d);
    const i = this.plan.symbols.indexOf(d);
    if (i < 0) throw new Error(`symbol ${d} is not bound by any input`);
    return get(this.c.params[this.first + i]);
  }
}

export function generateProgram(plan: KernelPlan, options: ProgramOptions): WasmProgram {
  requireCapabilities('wasm', WASM_CAPABILITIES, plan);
  const memory = new MemoryMap(plan, options.weightsDtype ?? 'f32');
  if (memory.loadEnd > MAX_PAGES * 65536) {
    throw new BackendError(`wasm: ${JSON.stringify(plan.name)} needs ${memory.loadEnd} bytes for its weights, constants and packed GEMM panels; a wasm memory holds at most ${MAX_PAGES * 65536} (2 GiB)`);
  }
  const module = new ModuleBuilder({ module: 'env', name: 'memory', initialPages: pagesFor(memory.staticEnd), maximumPages: MAX_PAGES, shared: options.threads });
  const prog = new ProgramCtx(module, plan, memory, options.simd, options.threads);
  const syms: ValType[] = plan.symbols.map(() => 'i32');
  const kernelFn = (k: Kernel, name: string, dynamic: boolean): FuncRef => module.func(name, ['i32', 'i32', ...syms], [], (c) => {
    const ctx = new KernelCtx(c, prog, dynamic);
    (kernelGen(k.kind).emit as (k: Kernel, ctx: KernelCtx) => void)(k, ctx);
  });
  const prologue = plan.prologue.map((k, i) => kernelFn(k, `prologue_${i}_${k.kind}`, false));
  const kernels = plan.kernels.map((k, i) => kernelFn(k, `kernel_${i}_${k.kind}`, options.threads && kernelGen(k.kind).split !== 'static'));
  // Each kernel is exported too, so a profiler can time them one by one.
  kernels.forEach((f, i) => module.export(`kernel_${i}`, f));
  const barrier = options.threads ? defineBarrier(module) : undefined;
  module.export('prologue', module.func('prologue', [], [], (c) => {
    for (const f of prologue) {
      c.i32(0).i32(1);
      for (const _ of syms) c.i32(0);
      c.call(f.index);
    }
  }));
  module.export('run', module.func('run', ['i32', 'i32', ...syms], [], (c) => {
    kernels.forEach((f, i) => {
      c.i32(0).i32(i).mem('i32.store', HEADER.currentKernel);
      for (const p of c.params) c.get(p);
      c.call(f.index);
      if (barrier) c.get(c.params[1]).call(barrier.index);
    });
  }));
  module.export('layout', module.func('layout', ['i32', ...syms], ['i32'], (c) => emitLayout(c, prog)));
  return { bytes: module.encode(), memory, options, maximumPages: MAX_PAGES, functions: module.functionSizes(), counters: prog.counters };
}

/** The run-time region for the symbol values in params 1…, from runtimeBase: arena slots, inputs, per-thread scratch. */
function emitLayout(c: Code, prog: ProgramCtx): void {
  const { plan, memory } = prog;
  const dims = new ParamDims(plan, c, 1);
  const bytes = (id: number) => dimProductVal(dims, plan.buffers[id].shape, BYTES_PER_ELEMENT[plan.buffers[id].dtype]);
  const alignTo = (v: Val, a: number) => op('i32.and', iadd(v, i32(a - 1)), i32(-a));
  // The run-time region starts at runtimeBase when a host raised it above the load-time region's end.
  const base = bind(c, 'i32', (cc) => cc.i32(0).mem('i32.load', HEADER.runtimeBase));
  const at = bind(c, 'i32', (cc) => { cc.get(base).i32(memory.staticEnd).get(base).i32(memory.staticEnd).op('i32.gt_u', 'select'); });
  const size = c.local('i32');
  const place = (id: number) => { c.i32(0).get(at).mem('i32.store', memory.pointerSlot(id)); };
  /** size = max(size, v) */
  const grow = (v: Val) => { const s = bind(c, 'i32', v); c.get(s).get(size).get(s).get(size).op('i32.gt_u', 'select').set(size); };
  // Arena: each slot as large as its largest buffer, as arenaLayout computes it.
  for (const slot of plan.arena.slots) {
    c.i32(0).set(size);
    for (const b of slot.buffers) {
      place(b);
      grow(bytes(b));
    }
    iadd(get(at), alignTo(get(size), plan.arena.alignment))(c);
    c.set(at);
  }
  for (const input of plan.inputs) {
    place(input.buffer);
    iadd(get(at), alignTo(bytes(input.buffer), 16))(c);
    c.set(at);
  }
  // Scratch: one region per thread, as large as the hungriest kernel needs.
  c.i32(64).set(size);
  for (const k of [...plan.prologue, ...plan.kernels]) {
    const need = kernelGen(k.kind).scratch as ((k: Kernel, p: ProgramCtx, d: DimSource) => Val) | undefined;
    if (need) grow(alignTo(need(k, prog, dims), 64));
  }
  alignTo(get(at), 64)(c);
  c.set(at);
  c.i32(0).get(at).mem('i32.store', HEADER.scratchBase);
  c.i32(0).get(size).mem('i32.store', HEADER.scratchStride);
  iadd(get(at), op('i32.mul', get(c.params[0]), get(size)))(c);
  c.set(at);
  // Work counters of threaded loops, then the slack vectors may read past the last region.
  c.i32(0).get(at).mem('i32.store', HEADER.counterBase);
  iadd(get(at), i32(alignUp(4 * prog.counters, 64) + SLACK))(c);
}

/** Spins before a waiting thread sleeps on the generation word (about 0.2 ms). */
const SPINS = 1 << 16;

/**
 * A barrier over the header words: the last thread to arrive resets the count, bumps the
 * generation and wakes sleepers; the others spin on the generation, then sleep on it (so an
 * oversubscribed machine does not burn cores on spinners), unless the host set `spinOnly` (a
 * browser's main thread may not block: Atomics.wait traps there). A thread that trapped sets `abort`,
 * and the waiters trap too instead of waiting forever.
 */
function defineBarrier(module: ModuleBuilder): FuncRef {
  return module.func('barrier', ['i32'], [], (c) => {
    const [threads] = c.params;
    c.get(threads).i32(1).op('i32.le_s').if(() => c.op('return'));
    const gen = bind(c, 'i32', (cc) => cc.i32(0).mem('i32.atomic.load', HEADER.barrierGeneration));
    const spins = bind(c, 'i32', i32(SPINS));
    c.i32(0).i32(1).mem('i32.atomic.rmw.add', HEADER.barrierCount);
    op('i32.sub', get(threads), i32(1))(c);
    c.op('i32.eq').if(() => {
      c.i32(0).i32(0).mem('i32.atomic.store', HEADER.barrierCount);
      c.i32(0).i32(1).mem('i32.atomic.rmw.add', HEADER.barrierGeneration).op('drop');
      c.i32(0).get(threads).mem('memory.atomic.notify', HEADER.barrierGeneration).op('drop');
    }, () => {
      c.block((done) => c.loop((top) => {
        c.i32(0).mem('i32.atomic.load', HEADER.abort).if(() => c.op('unreachable'));
        c.i32(0).mem('i32.atomic.load', HEADER.barrierGeneration).get(gen).op('i32.ne').brIf(done);
        c.get(spins).if(() => {
          c.get(spins).i32(1).op('i32.sub').set(spins);
        }, () => {
          c.i32(0).mem('i32.atomic.load', HEADER.spinOnly).op('i32.eqz').if(() => {
            c.i32(0).get(gen).i64(1_000_000n).mem('memory.atomic.wait32', HEADER.barrierGeneration).op('drop');
          });
        });
        c.br(top);
      }));
    });
  });
}
