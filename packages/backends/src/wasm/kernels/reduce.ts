// Reductions (sum, mean, max, min, argmax) over any set of axes: input dims merge into alternating
// kept/reduced groups; threads split the output elements; each output walks its reduced groups
// in input order with a nest of strided loops. Sums of f32 accumulate in f64 in the same order as
// the interpreter (so mean is exact to the f32 rounding); i32 sums wrap like the interpreter's.

import type { Kernel } from '@smelt/compiler';
import type { Dim } from '@smelt/ir';
import type { Local } from '../encoder/code.ts';
import { loadScalar, storeScalar } from '../codegen/access.ts';
import type { KernelCtx } from '../codegen/context.ts';
import { type Val, bind, forRange, get, i32, iadd, imul, op } from '../codegen/ops.ts';
import { indexSplit } from '../codegen/rows.ts';

type Reduce = Extract<Kernel, { kind: 'reduce' }>;

interface Group { readonly reduced: boolean; readonly dims: Dim[]; readonly stride: Dim[] }

/** Input dims (1s dropped) merged into groups of kept or reduced dims, each with its element stride. */
function groups(shape: readonly Dim[], axes: readonly number[]): Group[] {
  const out: Group[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.includes(i);
    const stride = shape.slice(i + 1);
    const last = out[out.length - 1];
    if (last && last.reduced === reduced) {
      last.dims.push(d);
      (last as { stride: Dim[] }).stride = stride;
    } else {
      out.push({ reduced, dims: [d], stride });
    }
  });
  return out;
}

export function emitReduce(k: Reduce, ctx: KernelCtx): void {
  const { c, prog } = ctx;
  const gs = groups(prog.shape(k.x), k.axes);
  const kept = gs.filter((g) => !g.reduced);
  const reduced = gs.filter((g) => g.reduced);
  const space = indexSplit(ctx, kept.map((g) => g.dims), [kept.map((g) => g.stride)]);
  const extents = reduced.map((g) => ctx.let(ctx.numel(g.dims)));
  const strides = reduced.map((g) => ctx.let(ctx.numel(g.stride)));
  const count = ctx.let(ctx.numel(reduced.flatMap((g) => g.dims)));
  const x = ctx.let(ctx.addr(k.x));
  const out = ctx.let(ctx.addr(k.out));
  const acc = makeAccumulator(k, ctx, count);
  ctx.forEachItem(get(space.rows), (o) => {
    const [start] = space.at(o);
    acc.reset();
    const index = c.local('i32');
    c.i32(0).set(index);
    const nest = (d: number, at: Local): void => {
      if (d === reduced.length) {
        acc.add(loadScalar(prog, prog.dtype(k.x), iadd(get(x), imul(get(at), i32(prog.elemBytes(k.x))))), index);
        c.get(index).i32(1).op('i32.add').set(index);
        return;
      }
      const i = c.local('i32');
      forRange(c, i, i32(0), get(extents[d]), () => nest(d + 1, ctx.let(iadd(get(at), imul(get(i), get(strides[d]))))));
    };
    nest(0, start);
    storeScalar(prog, prog.dtype(k.out), iadd(get(out), imul(get(o), i32(prog.elemBytes(k.out)))), acc.result())(c);
  });
}

interface Accumulator {
  reset(): void;
  add(v: Val, index: Local): void;
  result(): Val;
}

function makeAccumulator(k: Reduce, ctx: KernelCtx, count: Local): Accumulator {
  const c = ctx.c;
  const isInt = ctx.prog.dtype(k.x) === 'i32';
  if (k.op === 'sum' || k.op === 'mean') {
    const type = isInt ? 'i32' : 'f64';
    const acc = c.local(type);
    return {
      reset: () => (isInt ? c.i32(0) : c.f64(0)).set(acc),
      add: (v) => {
        c.get(acc);
        v(c);
        if (isInt) c.op('i32.add');
        else c.op('f64.promote_f32', 'f64.add');
        c.set(acc);
      },
      result: () => (isInt ? get(acc) : op('f32.demote_f64', k.op === 'mean' ? op('f64.div', get(acc), op('f64.convert_i32_s', get(count))) : get(acc))),
    };
  }
  // max, min and argmax compare in f64, so i32 and f32 share one path; max and min keep NaN once seen.
  const best = c.local('f64');
  const at = c.local('i32');
  const toF64 = (v: Val) => op(isInt ? 'f64.convert_i32_s' : 'f64.promote_f32', v);
  const beats = k.op === 'min' ? 'f64.lt' : 'f64.gt';
  return {
    reset: () => { c.f64(k.op === 'min' ? Infinity : -Infinity).set(best); c.i32(0).set(at); },
    add: (v, index) => {
      const x = bind(c, 'f64', toF64(v));
      const better = k.op === 'argmax' ? op('f64.gt', get(x), get(best)) : op('i32.or', op(beats, get(x), get(best)), op('f64.ne', get(x), get(x)));
      better(c);
      c.if(() => { c.get(x).set(best).get(index).set(at); });
    },
    result: () => (k.op === 'argmax' ? get(at) : isInt ? op('i32.trunc_sat_f64_s', get(best)) : op('f32.demote_f64', get(best))),
  };
}
