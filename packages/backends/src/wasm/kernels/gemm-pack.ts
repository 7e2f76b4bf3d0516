// Packing B into panels of 8 columns, [panel][k][8] f32 with zero padding past the last column:
// at load time in JS for weights (once), and in wasm into per-thread scratch for B that is
// computed per run (activations; attention's keys). Both produce the layout gemm-tile reads.
// Quantized matrices (weightsDtype int8 or f16) pack at load only: int8 with a scale per column
// (quantize.ts) and its k steps in pairs (gemm-int8.ts), f16 as half bits in the f32 panel order.

import type { KernelCtx } from '../codegen/context.ts';
import { type Val, forRange, get, i32, iadd, imul, op } from '../codegen/ops.ts';
import type { Local } from '../encoder/code.ts';
import { PANEL, type PackedPanels, int8Steps } from '../codegen/memory-map.ts';
import { halfOf, int8Scales, quantizeInt8 } from '../../quantize.ts';
import { int8PanelIndex } from './gemm-int8.ts';

/** JS packing of a k×n matrix (or n×k when `transB`) into panels. */
export function packPanels(src: Float32Array, k: number, n: number, transB: boolean): Float32Array {
  const panels = Math.ceil(n / PANEL);
  const out = new Float32Array(panels * k * PANEL);
  for (let p = 0; p < panels; p++) {
    for (let kk = 0; kk < k; kk++) {
      const row = (p * k + kk) * PANEL;
      for (let jj = 0; jj < PANEL; jj++) {
        const j = p * PANEL + jj;
        if (j < n) out[row + jj] = transB ? src[j * k + kk] : src[kk * n + j];
      }
    }
  }
  return out;
}

/** Panels of a matrix in the element type `p.dtype`, and int8's column scales ([panels·8], zero past n). */
export function packQuantized(name: string, src: Float32Array, p: PackedPanels): { panels: Float32Array | Int8Array | Uint16Array; scales?: Float32Array } {
  if (p.dtype === 'f32') return { panels: packPanels(src, p.k, p.n, p.transB) };
  const count = Math.ceil(p.n / PANEL);
  const at = (kk: number, j: number) => (p.transB ? j * p.k + kk : kk * p.n + j);
  const scales = p.dtype === 'int8' ? new Float32Array(count * PANEL) : undefined;
  if (scales) scales.set(int8Scales(name, src, p.transB ? { channels: p.n, k: p.k, cStride: p.k, kStride: 1 } : { channels: p.n, k: p.k, cStride: 1, kStride: p.n }));
  const kp = scales ? int8Steps(p.k) : p.k;
  const panels = scales ? new Int8Array(count * kp * PANEL) : new Uint16Array(count * kp * PANEL);
  for (let q = 0; q < count; q++) {
    for (let kk = 0; kk < p.k; kk++) {
      for (let jj = 0; jj < PANEL; jj++) {
        const j = q * PANEL + jj;
        if (j >= p.n) continue;
        const w = src[at(kk, j)];
        if (scales) panels[int8PanelIndex(q, kp, kk, jj)] = quantizeInt8(w, scales[j]);
        else panels[(q * p.k + kk) * PANEL + jj] = halfOf(name, w);
      }
    }
  }
  return { panels, scales };
}

export interface PackSource {
  /** Address of the k×n matrix B (n×k stored when transB). */
  readonly base: Local;
  readonly k: Local;
  readonly n: Local;
  readonly transB: boolean;
  /** Elements from one stored row to the next (attention's keys in bshd); packed rows when absent. */
  readonly stride?: Local;
}

const rowStride = (src: PackSource): Local => src.stride ?? (src.transB ? src.k : src.n);

/** Emit: pack panels [p0, p1) of `src` to `dst`. Full panels copy straight; the last may pad with zeros. */
export function emitPackPanels(ctx: KernelCtx, src: PackSource, p0: Local, p1: Local, dst: Local): void {
  const c = ctx.c;
  const p = c.local('i32');
  forRange(c, p, get(p0), get(p1), () => {
    const panel = ctx.let(iadd(get(dst), imul(imul(op('i32.sub', get(p), get(p0)), get(src.k)), i32(PANEL * 4))));
    const j0 = ctx.let(imul(get(p), i32(PANEL)));
    op('i32.le_s', iadd(get(j0), i32(PANEL)), get(src.n))(c);
    c.if(() => (src.transB ? packFullTransposed : packFullRows)(ctx, src, j0, panel), () => packPartial(ctx, src, j0, panel));
  });
}

/** B stored k×n: each k row of the panel is two f32x4 copied from the row. */
function packFullRows(ctx: KernelCtx, src: PackSource, j0: Local, panel: Local): void {
  const c = ctx.c;
  const from = ctx.let(iadd(get(src.base), op('i32.shl', get(j0), i32(2))));
  const to = ctx.let(get(panel));
  const rowBytes = ctx.let(op('i32.shl', get(rowStride(src)), i32(2)));
  const kk = c.local('i32');
  forRange(c, kk, i32(0), get(src.k), () => {
    c.get(to).get(from).mem('v128.load').mem('v128.store');
    c.get(to).get(from).mem('v128.load', 16).mem('v128.store', 16);
    iadd(get(from), get(rowBytes))(c);
    c.set(from);
    iadd(get(to), i32(PANEL * 4))(c);
    c.set(to);
  });
}

/** B stored n×k: column jj of the panel is row j0 + jj of the storage, read contiguously. */
function packFullTransposed(ctx: KernelCtx, src: PackSource, j0: Local, panel: Local): void {
  const c = ctx.c;
  const jj = c.local('i32');
  const kk = c.local('i32');
  forRange(c, jj, i32(0), i32(PANEL), () => {
    const from = ctx.let(iadd(get(src.base), op('i32.shl', imul(iadd(get(j0), get(jj)), get(rowStride(src))), i32(2))));
    const to = ctx.let(iadd(get(panel), op('i32.shl', get(jj), i32(2))));
    forRange(c, kk, i32(0), get(src.k), () => {
      c.get(to).get(from).mem('f32.load').mem('f32.store');
      iadd(get(from), i32(4))(c);
      c.set(from);
      iadd(get(to), i32(PANEL * 4))(c);
      c.set(to);
    });
  });
}

/** The last panel, past column n: zeros (columns past n read column n-1, always in bounds). */
function packPartial(ctx: KernelCtx, src: PackSource, j0: Local, panel: Local): void {
  const c = ctx.c;
  const kk = c.local('i32');
  const jj = c.local('i32');
  forRange(c, kk, i32(0), get(src.k), () => {
    forRange(c, jj, i32(0), i32(PANEL), () => {
      const j = ctx.let(iadd(get(j0), get(jj)));
      const inside = ctx.let(op('i32.lt_s', get(j), get(src.n)));
      const jc = ctx.let((cc) => { cc.get(j); op('i32.sub', get(src.n), i32(1))(cc); cc.get(inside).op('select'); });
      const at: Val = src.transB ? iadd(imul(get(jc), get(rowStride(src))), get(kk)) : iadd(imul(get(kk), get(rowStride(src))), get(jc));
      iadd(get(panel), op('i32.shl', iadd(imul(get(kk), i32(PANEL)), get(jj)), i32(2)))(c);
      iadd(get(src.base), op('i32.shl', at, i32(2)))(c);
      c.mem('f32.load').f32(0).get(inside).op('select').mem('f32.store');
    });
  });
}
