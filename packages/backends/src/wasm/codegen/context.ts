// What kernel code generation sees: the module being built, the plan, where every buffer lives
// (a constant address for load-time data, the run-time pointer table for the arena and inputs),
// and per kernel function its parameters (thread id, thread count, symbol values) with helpers
// for dims, addresses, this thread's scratch and the split of work across threads.

import { BYTES_PER_ELEMENT, type DType, type Dim } from '@smelt/ir';
import { type KernelPlan, baseBuffer } from '@smelt/compiler';
import type { Code, Local } from '../encoder/code.ts';
import type { ValType } from '../encoder/opcodes.ts';
import type { FuncRef, ModuleBuilder } from '../encoder/module.ts';
import { HEADER, type MemoryMap } from './memory-map.ts';
import { ExprLib } from './expr.ts';
import { type Val, bind, forRange, get, i32, iadd, imin, imul, op } from './ops.ts';
import { defineF16ToF32, defineF32ToF16 } from './half.ts';

export type SimdLevel = 'plain' | 'relaxed';

/** Module-wide state shared by every kernel's code generation. */
export class ProgramCtx {
  /** The expression ops' wasm vocabulary and the module functions they define. */
  readonly exprs: ExprLib;
  private halfFns?: { toF32: FuncRef; toF16: FuncRef };
  private readonly helpers = new Map<string, FuncRef>();
  /** Work counters handed out to threaded loops so far. */
  counters = 0;

  constructor(readonly module: ModuleBuilder, readonly plan: KernelPlan, readonly memory: MemoryMap, readonly simd: SimdLevel, readonly threaded: boolean) {
    this.exprs = new ExprLib(module);
  }

  get half(): { toF32: FuncRef; toF16: FuncRef } {
    this.halfFns ??= { toF32: defineF16ToF32(this.module), toF16: defineF32ToF16(this.module) };
    return this.halfFns;
  }

  /** A module function kernels share, declared and defined on first use (its name says what it does). */
  helper(name: string, params: readonly ValType[], results: readonly ValType[], body: (c: Code) => void): FuncRef {
    let ref = this.helpers.get(name);
    if (!ref) this.helpers.set(name, (ref = this.module.func(name, params, results, body)));
    return ref;
  }

  dtype(id: number): DType {
    return this.plan.buffers[id].dtype;
  }

  shape(id: number): readonly Dim[] {
    return this.plan.buffers[id].shape;
  }

  elemBytes(id: number): number {
    return BYTES_PER_ELEMENT[this.dtype(id)];
  }
}

/** Resolves dims to i32 values: a number, or a symbol's value. */
export interface DimSource {
  dim(d: Dim): Val;
}

export function dimProductVal(src: DimSource, dims: readonly Dim[], factor = 1): Val {
  let known = factor;
  const syms: Dim[] = [];
  for (const d of dims) {
    if (typeof d === 'number') known *= d;
    else syms.push(d);
  }
  let v: Val = known === 1 && syms.length > 0 ? src.dim(syms.shift()!) : i32(known);
  for (const s of syms) v = imul(v, src.dim(s));
  return v;
}

/** One kernel function under construction: params (tid, nth, ...symbols) and helpers. */
export class KernelCtx implements DimSource {
  readonly tid: Local;
  readonly nth: Local;
  private readonly syms = new Map<string, Local>();

  /** `dynamic`: split loops by claiming chunks from a shared counter (per-run kernels of threaded builds). */
  constructor(readonly c: Code, readonly prog: ProgramCtx, private readonly dynamic = false) {
    const [tid, nth, ...syms] = c.params;
    this.tid = tid;
    this.nth = nth;
    prog.plan.symbols.forEach((s, i) => this.syms.set(s, syms[i]));
  }

  dim(d: Dim): Val {
    if (typeof d === 'number') return i32(d);
    const l = this.syms.get(d);
    if (!l) throw new Error(`symbol ${d} is not bound by any input`);
    return get(l);
  }

  /** Product of dims (times `factor`), e.g. an element count. */
  numel(dims: readonly Dim[], factor = 1): Val {
    return dimProductVal(this, dims, factor);
  }

  /** Evaluate an i32 value once into a local. */
  let(v: Val): Local {
    return bind(this.c, 'i32', v);
  }

  /** Byte address of a buffer's first element (views resolve to the buffer they view). */
  addr(id: number): Val {
    const base = baseBuffer(this.prog.plan.buffers, id);
    const fixed = this.prog.memory.staticAddress(base);
    if (fixed !== undefined) return i32(fixed);
    return (c) => c.i32(0).mem('i32.load', this.prog.memory.pointerSlot(base));
  }

  /** Base address of this thread's scratch region. */
  scratch(): Val {
    const m = this.prog.memory;
    return iadd((c) => c.i32(0).mem('i32.load', m.scratchBaseSlot), imul(get(this.tid), (c) => c.i32(0).mem('i32.load', m.scratchStrideSlot)));
  }

  /**
   * Run `body(item)` for this thread's share of items [0, items). Single-threaded code and the
   * prologue split statically; threaded kernels claim chunks of about items/(4·threads) from a
   * shared counter, so a thread the OS deschedules does not hold the others at the barrier.
   * Which thread computes an item never changes its result.
   */
  forEachItem(items: Val, body: (item: Local) => void): void {
    const c = this.c;
    const item = c.local('i32');
    const n = this.let(items);
    if (!this.dynamic) {
      const part = (t: Val) => op('i32.wrap_i64', op('i64.div_u', op('i64.mul', op('i64.extend_i32_u', get(n)), op('i64.extend_i32_u', t)), op('i64.extend_i32_u', get(this.nth))));
      forRange(c, item, part(get(this.tid)), part(iadd(get(this.tid), i32(1))), () => body(item));
      return;
    }
    const counter = this.let(iadd((cc) => cc.i32(0).mem('i32.load', HEADER.counterBase), i32(4 * this.prog.counters++)));
    const quarter = op('i32.div_u', get(n), op('i32.shl', get(this.nth), i32(2)));
    const grain = this.let((cc) => { quarter(cc); cc.i32(1); quarter(cc); cc.i32(1).op('i32.gt_u', 'select'); });
    const start = c.local('i32');
    c.block((done) => c.loop((top) => {
      c.get(counter).get(grain).mem('i32.atomic.rmw.add').tee(start).get(n).op('i32.ge_u').brIf(done);
      forRange(c, item, get(start), imin(iadd(get(start), get(grain)), get(n)), () => body(item));
      c.br(top);
    }));
  }

  /** Run `body` on thread 0 only (kernels that are not split). */
  single(body: () => void): void {
    this.c.get(this.tid).op('i32.eqz').if(body);
  }
}
