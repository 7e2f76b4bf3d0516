// The per-row steps of online softmax in attention: fold one block of scores into the running
// max and sum (rescaling the output tile row by exp(old max - new max)), and the final division
// of each output row by its sum. The block's exps run in a shared module function,
// attention_exp_sum.

import type { Local } from '../encoder/code.ts';
import type { KernelCtx, ProgramCtx } from '../codegen/context.ts';
import type { FuncRef } from '../encoder/module.ts';
import { type Val, bind, fadd, fdiv, forRange, fsub, fmul, get, horizontal, i32, iadd, imul, op, splat } from '../codegen/ops.ts';
import { rowPass } from '../codegen/row-pass.ts';

/** Keys per block (a multiple of the panel width). */
export const KB = 64;

export interface BlockRow {
  readonly scores: Local;
  readonly row: number;
  /** f32x4 vectors of scores in this block's row (invalid keys hold -inf); even: two per panel. */
  readonly vectors: Local;
  readonly oTile: Local;
  readonly dvp: Local;
  readonly runMax: Local;
  readonly runSum: Local;
}

const lane0 = (v: Val): Val => (c) => { v(c); c.lane('f32x4.extract_lane', 0); };

/** For v in [0, count): body(address of the v-th f32x4 from base). */
function eachVector(ctx: KernelCtx, base: Local, count: Val, body: (at: Val) => void): void {
  const v = ctx.c.local('i32');
  forRange(ctx.c, v, i32(0), count, () => body(iadd(get(base), op('i32.shl', get(v), i32(4)))));
}

/**
 * attention_exp_sum(at, bytes, shift): each f32x4 at [at, at + bytes) (bytes a multiple of 32)
 * becomes e^(x - shift) in place; returns their lane-wise sum. A small module function of its own,
 * with exp written in place (ExprLib.inlined: its constants set once per call, not rebuilt per
 * vector) two vectors per step, so their chains overlap. Attention on 8 heads of 512 keys takes
 * ~12% less time than with exp called per vector. The same loop written inside the attention
 * kernel was ~1.7× slower instead, once the kernel took symbolic dims: V8 compiles loops in very
 * large functions worse (as with threads' claiming loop, ARCHITECTURE "Threads").
 */
function expSum(prog: ProgramCtx): FuncRef {
  return prog.helper('attention_exp_sum', ['i32', 'i32', 'v128'], ['v128'], (c) => {
    const [at, bytes, shift] = c.params;
    const exp = prog.exprs.inlined('exp', c);
    const sums = [bind(c, 'v128', splat(0)), bind(c, 'v128', splat(0))];
    const i = c.local('i32');
    forRange(c, i, i32(0), get(bytes), () => {
      const ptr = bind(c, 'i32', iadd(get(at), get(i)));
      const ps = [0, 16].map((offset) => bind(c, 'v128', exp(fsub((cc) => { cc.get(ptr).mem('v128.load', offset); }, get(shift)))));
      ps.forEach((p, h) => {
        c.get(ptr).get(p).mem('v128.store', h * 16);
        fadd(get(sums[h]), get(p))(c);
        c.set(sums[h]);
      });
    }, 32);
    fadd(get(sums[0]), get(sums[1]))(c);
  });
}

/** Scores → probabilities in place; running max, sum and output row rescaled. */
export function softmaxBlockUpdate(ctx: KernelCtx, b: BlockRow): void {
  const { c, prog } = ctx;
  const rowPtr = ctx.let(iadd(get(b.scores), i32(b.row * KB * 4)));
  const load = (at: Val): Val => (cc) => { at(cc); cc.mem('v128.load'); };
  // The block's max, two chains of pmax (one instruction; f32x4.max orders NaNs and zeros in
  // several). A NaN score is passed over here, but its exp is NaN and so is the row's sum and
  // output, as with the reference.
  const acc = bind(c, 'v128', splat(-Infinity));
  const acc2 = bind(c, 'v128', splat(-Infinity));
  const pair = c.local('i32');
  forRange(c, pair, i32(0), op('i32.shl', get(b.vectors), i32(4)), () => {
    const at = ctx.let(iadd(get(rowPtr), get(pair)));
    op('f32x4.pmax', get(acc), load(get(at)))(c);
    c.set(acc);
    op('f32x4.pmax', get(acc2), (cc) => { cc.get(at).mem('v128.load', 16); })(c);
    c.set(acc2);
  }, 32);
  const max = bind(c, 'f32', op('f32.max', get(b.runMax), lane0(horizontal(op('f32x4.pmax', get(acc), get(acc2)), 'f32x4.max'))));
  // With every key so far masked the max is -inf; subtract 0 instead so exp gives 0, not NaN.
  const safe = bind(c, 'f32', (cc) => { cc.f32(0).get(max); op('f32.eq', get(max), (x) => x.f32(-Infinity))(cc); cc.op('select'); });
  const alpha = bind(c, 'f32', prog.exprs.apply('exp', 'scalar', op('f32.sub', get(b.runMax), get(safe))));
  const shift = bind(c, 'v128', op('f32x4.splat', get(safe)));
  const blockSum = bind(c, 'v128', (cc) => {
    cc.get(rowPtr);
    op('i32.shl', get(b.vectors), i32(4))(cc);
    cc.get(shift).call(expSum(prog).index);
  });
  op('f32.add', op('f32.mul', get(b.runSum), get(alpha)), lane0(horizontal(get(blockSum), 'f32x4.add')))(c);
  c.set(b.runSum);
  const oRow = ctx.let(iadd(get(b.oTile), op('i32.shl', imul(get(b.dvp), i32(b.row)), i32(2))));
  const scale = bind(c, 'v128', op('f32x4.splat', get(alpha)));
  eachVector(ctx, oRow, op('i32.shr_u', get(b.dvp), i32(2)), (at) => {
    at(c);
    fmul(load(at), get(scale))(c);
    c.mem('v128.store');
  });
  c.get(max).set(b.runMax);
}

/** Output rows (`outStep` elements apart): the accumulated tile divided by each row's sum. */
export function writeRows(ctx: KernelCtx, w: { oTile: Local; dvp: Local; dv: Local; out: Local; outStep: Local; runSum: readonly Local[]; rows: number }): void {
  const c = ctx.c;
  for (let r = 0; r < w.rows; r++) {
    const oRow = ctx.let(iadd(get(w.oTile), op('i32.shl', imul(get(w.dvp), i32(r)), i32(2))));
    const outRow = ctx.let(iadd(get(w.out), op('i32.shl', imul(get(w.outStep), i32(r)), i32(2))));
    const sum = bind(c, 'v128', op('f32x4.splat', get(w.runSum[r])));
    rowPass(c, w.dv, (s) => s.store(outRow, fdiv(s.load(oRow), get(sum)))(c));
  }
}
