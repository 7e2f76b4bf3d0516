// The kernel generators, one per kernel kind of the plan. The mapped type makes a new kind
// without a wasm kernel a compile error; `scratch` says how many bytes of per-thread scratch a
// kernel needs (as a function of the symbol values), when it needs any. The table is also what
// the backend declares it can run (WASM_CAPABILITIES).

import type { Kernel, KernelKind } from '@smelt/compiler';
import { DTYPES } from '@smelt/ir';
import { type BackendCapabilities, capabilitiesOf } from '../../backend.ts';
import type { Code } from '../encoder/code.ts';
import type { DimSource, KernelCtx, ProgramCtx } from '../codegen/context.ts';
import { attentionScratch, emitAttention } from './attention.ts';
import { emitElementwise } from './elementwise.ts';
import { emitMatmul, matmulScratch } from './matmul.ts';
import { emitConcat, emitGather, emitIota, emitDynamicSlice, emitSlice, emitTranspose } from './movement.ts';
import { emitConv1d, emitCumsum, emitPad, emitRope, emitTopk } from './ops.ts';
import { emitReduce } from './reduce.ts';
import { emitRow } from './rows.ts';

export interface KernelGen<K extends KernelKind> {
  emit(k: Extract<Kernel, { kind: K }>, ctx: KernelCtx): void;
  scratch?(k: Extract<Kernel, { kind: K }>, prog: ProgramCtx, dims: DimSource): (c: Code) => void;
  /**
   * How a threaded build splits the kernel's work items: claimed in chunks from a shared counter
   * (absent: the default, which evens out threads that run at different speeds), or `static`, an
   * equal share per thread. Attention is static: its items cost the same (every key is visited,
   * causal or not), and V8 compiles its large item body inside the claiming loop into code ~1.7×
   * slower (W-base, measured one kernel at a time); whole two-thread W-base runs got ~8% faster.
   */
  readonly split?: 'static';
}

export const KERNELS: { readonly [K in KernelKind]: KernelGen<K> } = {
  elementwise: { emit: emitElementwise },
  matmul: { emit: emitMatmul, scratch: matmulScratch },
  attention: { emit: emitAttention, scratch: attentionScratch, split: 'static' },
  row: { emit: emitRow },
  reduce: { emit: emitReduce },
  rope: { emit: emitRope },
  pad: { emit: emitPad },
  cumsum: { emit: emitCumsum },
  topk: { emit: emitTopk },
  conv1d: { emit: emitConv1d },
  transpose: { emit: emitTranspose },
  slice: { emit: emitSlice },
  dynamic_slice: { emit: emitDynamicSlice },
  concat: { emit: emitConcat },
  gather: { emit: emitGather },
  iota: { emit: emitIota },
};

export function kernelGen<K extends KernelKind>(kind: K): KernelGen<K> {
  return KERNELS[kind] as KernelGen<K>;
}

/** The kinds of KERNELS; every dtype (loads and stores are exhaustive switches over DType, codegen/access.ts). */
export const WASM_CAPABILITIES: BackendCapabilities = capabilitiesOf(KERNELS, { dtypes: DTYPES, symbolicDims: true, standalone: true });
