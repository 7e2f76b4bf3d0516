// Storing a matmul tile through its epilogue: $0 is the accumulator, $1… the extras (bias,
// residual) read at the same output index with broadcasting. The Expr renders on f32x4 lanes, or
// lane by lane with the scalar renderer when it needs ops that have no vector form. A panel that
// sticks out past the last column is written to a scratch tile and copied in.

import type { Kernel } from '@smelt/compiler';
import type { Local } from '../encoder/code.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { canVectorize, renderExpr } from '../codegen/expr.ts';
import { PANEL } from '../codegen/memory-map.ts';
import { type Val, get, i32, iadd, imul, op } from '../codegen/ops.ts';

type Matmul = Extract<Kernel, { kind: 'matmul' }>;

/** An extra operand of the epilogue, positioned at one batch: row i starts at base + i·rowStride elements. */
export interface ExtraRow {
  readonly base: Local;
  /** Elements per output row: n, 1 or 0. */
  readonly rowStride: Local | number;
  /** Varies along the output columns (else one value per row). */
  readonly alongN: boolean;
}

export interface TileTarget {
  readonly i0: Local;
  readonly j0: Local;
  readonly n: Local;
  /** Output base at this batch. */
  readonly out: Local;
  readonly tileBuf: Local;
  readonly extras: readonly ExtraRow[];
}

const at = (base: Val, bytes: number): Val => iadd(base, i32(bytes));

export function storeTile(ctx: KernelCtx, k: Matmul, acc: Local[][], t: TileTarget): void {
  const { c, prog } = ctx;
  const types = ['f32' as const, ...k.extras.map(() => 'f32' as const)];
  const vector = canVectorize(k.epilogue, types);
  const full = ctx.let(op('i32.le_s', iadd(get(t.j0), i32(PANEL)), get(t.n)));
  const outRows: Local[] = [];
  acc.forEach((halves, r) => {
    const row = ctx.let(iadd(get(t.i0), i32(r)));
    const outRow = ctx.let(iadd(get(t.out), op('i32.shl', iadd(imul(get(row), get(t.n)), get(t.j0)), i32(2))));
    outRows.push(outRow);
    const extras = t.extras.map((e) => {
      const stride = typeof e.rowStride === 'number' ? i32(e.rowStride) : get(e.rowStride);
      const col = e.alongN ? get(t.j0) : i32(0);
      return ctx.let(iadd(get(e.base), op('i32.shl', iadd(imul(get(row), stride), col), i32(2))));
    });
    halves.forEach((a, h) => {
      const dst = ctx.let((cc) => { at(get(outRow), 16 * h)(cc); at(get(t.tileBuf), (r * PANEL + 4 * h) * 4)(cc); cc.get(full).op('select'); });
      if (vector) {
        const operand = (i: number): Val => (i === 0 ? get(a) : (cc) => {
          const e = t.extras[i - 1];
          cc.get(extras[i - 1]).mem(e.alongN ? 'v128.load' : 'v128.load32_splat', e.alongN ? 16 * h : 0);
        });
        c.get(dst);
        renderExpr(k.epilogue, types, operand, 'vector', prog.exprs)(c);
        c.mem('v128.store');
        return;
      }
      for (let lane = 0; lane < 4; lane++) {
        const operand = (i: number): Val => (i === 0 ? (cc) => cc.get(a).lane('f32x4.extract_lane', lane) : (cc) => {
          cc.get(extras[i - 1]).mem('f32.load', t.extras[i - 1].alongN ? 16 * h + 4 * lane : 0);
        });
        c.get(dst);
        renderExpr(k.epilogue, types, operand, 'scalar', prog.exprs)(c);
        c.mem('f32.store', 4 * lane);
      }
    });
  });
  c.get(full).op('i32.eqz').if(() => {
    const bytes = ctx.let(op('i32.shl', op('i32.sub', get(t.n), get(t.j0)), i32(2)));
    outRows.forEach((outRow, r) => {
      c.get(outRow);
      at(get(t.tileBuf), r * PANEL * 4)(c);
      c.get(bytes).memoryCopy();
    });
  });
}
