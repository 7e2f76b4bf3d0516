// Comparisons (to bool), boolean logic and where. Comparisons take f32, i32, bool and u8; a NaN
// operand makes every comparison false except ne. Bools are 0/1 in JS and wasm scalars, WGSL bools,
// and lane masks in wasm vectors (all ones = true).

import type { WasmInstr } from './wasm.ts';
import { type ExprOpRecord, BOOL, ORDERED, type SourceRule, always, infix, sameDType } from './record.ts';

const isF32 = (types: readonly string[]) => types[0] === 'f32' || types[0] === 'f16';
const allBool = (types: readonly string[]) => types.every((t) => t === 'bool');

/** WGSL orders no bools: comparisons read them as integers. */
const ordered = (sym: string): SourceRule['render'] => ([a, b], [t]) => {
  const v = (x: string) => (t === 'bool' ? `i32(${x})` : x);
  return `(${v(a)} ${sym} ${v(b)})`;
};

function comparison(summary: string, test: (a: number, b: number) => boolean, js: string, wgsl: SourceRule['render'], f32: WasmInstr, i32: WasmInstr, f32x4: WasmInstr, commutative = false) {
  return {
    summary, arity: 2, dtype: sameDType(ORDERED, 'bool'), scalar: always((a, b) => +test(a, b)), commutative,
    js: { render: ([a, b]) => `(${a} ${js} ${b} ? 1 : 0)` },
    wgsl: { render: wgsl },
    wasm: {
      scalar: (w, [x, y], types) => w.op(isF32(types) ? f32 : i32, x, y),
      vector: { render: (w, [x, y]) => w.op(f32x4, x, y) },
    },
  } satisfies ExprOpRecord;
}

export const LOGIC = {
  eq: comparison('a == b', (a, b) => a === b, '===', infix('=='), 'f32.eq', 'i32.eq', 'f32x4.eq', true),
  // Drivers may compile != as an ordered comparison; NaN != x must be true.
  ne: comparison('a != b (true when either is NaN)', (a, b) => a !== b, '!==',
    ([a, b], [t]) => (t === 'f32' ? `(${a} != ${b} || is_nan(${a}) || is_nan(${b}))` : `(${a} != ${b})`), 'f32.ne', 'i32.ne', 'f32x4.ne', true),
  lt: comparison('a < b', (a, b) => a < b, '<', ordered('<'), 'f32.lt', 'i32.lt_s', 'f32x4.lt'),
  le: comparison('a <= b', (a, b) => a <= b, '<=', ordered('<='), 'f32.le', 'i32.le_s', 'f32x4.le'),
  gt: comparison('a > b', (a, b) => a > b, '>', ordered('>'), 'f32.gt', 'i32.gt_s', 'f32x4.gt'),
  ge: comparison('a >= b', (a, b) => a >= b, '>=', ordered('>='), 'f32.ge', 'i32.ge_s', 'f32x4.ge'),
  and: {
    summary: 'logical and', arity: 2, dtype: sameDType(BOOL), scalar: always((a, b) => +(a !== 0 && b !== 0)), commutative: true,
    js: { render: ([a, b]) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)` },
    wgsl: { render: infix('&&') },
    wasm: { scalar: (w, [x, y]) => w.op('i32.and', x, y), vector: { accepts: allBool, render: (w, [x, y]) => w.op('v128.and', x, y) } },
  },
  or: {
    summary: 'logical or', arity: 2, dtype: sameDType(BOOL), scalar: always((a, b) => +(a !== 0 || b !== 0)), commutative: true,
    js: { render: ([a, b]) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)` },
    wgsl: { render: infix('||') },
    wasm: { scalar: (w, [x, y]) => w.op('i32.or', x, y), vector: { accepts: allBool, render: (w, [x, y]) => w.op('v128.or', x, y) } },
  },
  not: {
    summary: 'logical not', arity: 1, dtype: sameDType(BOOL), scalar: always((x) => (x ? 0 : 1)),
    js: { render: ([a]) => `(${a} !== 0 ? 0 : 1)` },
    wgsl: { render: ([x]) => `(!${x})` },
    wasm: { scalar: (w, [x]) => w.op('i32.eqz', x), vector: { accepts: allBool, render: (w, [x]) => w.op('v128.not', x) } },
  },
  where: {
    summary: 'a where the condition is true, else b', arity: 3,
    dtype: ([c, a, b]) => (c !== 'bool' ? { needs: 'a bool condition' } : a !== b ? { needs: 'branches of one dtype' } : a),
    scalar: always((c, a, b) => (c ? a : b)),
    js: { render: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`, exact: true },
    wgsl: { render: ([c, a, b]) => `select(${b}, ${a}, ${c})` },
    wasm: {
      scalar: (w, [c, a, b]) => w.op('select', a, b, c),
      vector: { accepts: ([c, a]) => c === 'bool' && a === 'f32', render: (w, [c, a, b]) => w.op('v128.bitselect', a, b, c) },
    },
  },
} satisfies Record<string, ExprOpRecord>;
