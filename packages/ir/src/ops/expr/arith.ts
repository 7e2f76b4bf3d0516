// Arithmetic on f32 and i32: neg, abs, relu, add, sub, mul, div, max, min. Integer results wrap
// like an Int32Array store (i32 division truncates, x / 0 = 0, INT_MIN / -1 wraps); max and min
// propagate NaN; relu(NaN) = 0.

import type { Wasm } from './wasm.ts';
import { wasmInstr } from './wasm.ts';
import { type ExprOpRecord, NUM, always, byFloat, call, helper, infix, sameDType, viaHelper } from './record.ts';

const jsIdiv = helper('idiv', '/** i32 division: truncates toward zero, and x / 0 is 0. */\nfunction idiv(a: number, b: number): number {\n  return b === 0 ? 0 : (a / b) | 0;\n}');
const jsRelu = helper('relu', '/** relu that maps NaN to 0, as the op table does (Math.max would keep NaN). */\nfunction relu(x: number): number {\n  return x > 0 ? x : 0;\n}');
const wgslReluF32 = helper('relu_f32', 'fn relu_f32(x: f32) -> f32 { return select(0.0f, x, x > 0.0f); }');
const wgslReluI32 = helper('relu_i32', 'fn relu_i32(x: i32) -> i32 { return select(0i, x, x > 0i); }');
const wgslMax = helper('max_f32', 'fn max_f32(a: f32, b: f32) -> f32 { return select(max(a, b), nan_f32(), is_nan(a) || is_nan(b)); }');
const wgslMin = helper('min_f32', 'fn min_f32(a: f32, b: f32) -> f32 { return select(min(a, b), nan_f32(), is_nan(a) || is_nan(b)); }');
const wgslDiv = helper('div_i32', `// C-style division; a zero divisor gives 0, INT_MIN / -1 wraps.
fn div_i32(a: i32, b: i32) -> i32 {
  if (b == 0i) { return 0i; }
  if (b == -1i) { return 0i - a; }
  return a / b;
}`);

const nanMax = (a: number, b: number) => (a !== a || b !== b ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number) => (a !== a || b !== b ? NaN : Math.min(a, b));

/** x / y on i32 as the reference defines it, with x and y each evaluated once. */
function i32Div<V>(w: Wasm<V>, x: V, y: V): V {
  return w.share('i32', x, (a) => w.share('i32', y, (b) => {
    const safe = w.op('select', w.i32(1), b, w.op('i32.or', w.op('i32.eqz', b), w.op('i32.eq', b, w.i32(-1))));
    const quotient = w.op('select', w.op('i32.sub', w.i32(0), a), w.op('i32.div_s', a, safe), w.op('i32.eq', b, w.i32(-1)));
    return w.op('select', w.i32(0), quotient, w.op('i32.eqz', b));
  }));
}

/** The larger (gt_s) or smaller (lt_s) of two i32s. */
const i32Pick = <V>(w: Wasm<V>, x: V, y: V, test: 'i32.gt_s' | 'i32.lt_s'): V =>
  w.share('i32', x, (a) => w.share('i32', y, (b) => w.op('select', a, b, w.op(test, a, b))));

const isF32 = (types: readonly string[]) => types[0] === 'f32' || types[0] === 'f16';

export const ARITH = {
  neg: {
    summary: 'negation', arity: 1, dtype: sameDType(NUM), scalar: always((x) => -x),
    js: { render: byFloat(([a]) => `(-${a})`, ([a]) => `((-${a}) | 0)`), exact: true },
    wgsl: { render: ([x]) => `(-${x})` },
    wasm: {
      scalar: (w, [x], types) => (isF32(types) ? w.op('f32.neg', x) : w.op('i32.sub', w.i32(0), x)),
      vector: { render: (w, [x]) => w.op('f32x4.neg', x) },
    },
  },
  abs: {
    summary: 'absolute value', arity: 1, dtype: sameDType(NUM), scalar: always(Math.abs),
    js: { render: byFloat(call('Math.abs'), ([a]) => `(Math.abs(${a}) | 0)`), exact: true },
    wgsl: { render: call('abs') },
    wasm: {
      scalar: (w, [x], types) => (isF32(types) ? w.op('f32.abs', x)
        : w.share('i32', x, (v) => w.op('select', v, w.op('i32.sub', w.i32(0), v), w.op('i32.ge_s', v, w.i32(0))))),
      vector: { render: (w, [x]) => w.op('f32x4.abs', x) },
    },
  },
  relu: {
    summary: 'max(x, 0), with relu(NaN) = 0', arity: 1, dtype: sameDType(NUM), scalar: always((x) => (x > 0 ? x : 0)),
    js: viaHelper(jsRelu, { exact: true }),
    wgsl: { render: byFloat(call(wgslReluF32.name), call(wgslReluI32.name)), helpers: [wgslReluF32, wgslReluI32] },
    wasm: {
      scalar: (w, [x], types) => (isF32(types)
        ? w.share('f32', x, (v) => w.op('select', v, w.f32(0), w.op('f32.gt', v, w.f32(0))))
        : w.share('i32', x, (v) => w.op('select', v, w.i32(0), w.op('i32.gt_s', v, w.i32(0))))),
      vector: { render: (w, [x]) => w.share('v128', x, (v) => w.op('v128.and', v, w.op('f32x4.gt', v, w.f32x4(0)))) },
    },
  },
  add: {
    summary: 'sum', arity: 2, dtype: sameDType(NUM), scalar: always((a, b) => a + b), commutative: true,
    js: { render: byFloat(infix('+'), ([a, b]) => `((${a} + ${b}) | 0)`) },
    wgsl: { render: infix('+') },
    wasm: wasmInstr('f32x4.add', 'f32.add', 'i32.add'),
  },
  sub: {
    summary: 'difference', arity: 2, dtype: sameDType(NUM), scalar: always((a, b) => a - b),
    js: { render: byFloat(infix('-'), ([a, b]) => `((${a} - ${b}) | 0)`) },
    wgsl: { render: infix('-') },
    wasm: wasmInstr('f32x4.sub', 'f32.sub', 'i32.sub'),
  },
  mul: {
    summary: 'product (i32 products wrap)', arity: 2, dtype: sameDType(NUM), commutative: true,
    scalar: ([t]) => (t === 'i32' ? Math.imul : (a, b) => a * b),
    js: { render: byFloat(infix('*'), call('Math.imul')) },
    wgsl: { render: infix('*') },
    wasm: wasmInstr('f32x4.mul', 'f32.mul', 'i32.mul'),
  },
  div: {
    summary: 'quotient (i32 truncates like C, x / 0 = 0)', arity: 2, dtype: sameDType(NUM),
    scalar: ([t]) => (t === 'i32' ? (a, b) => (b === 0 ? 0 : Math.trunc(a / b)) : (a, b) => a / b),
    js: { render: byFloat(infix('/'), call(jsIdiv.name)), helpers: [jsIdiv] },
    wgsl: { render: byFloat(infix('/'), call(wgslDiv.name)), helpers: [wgslDiv] },
    wasm: {
      scalar: (w, [x, y], types) => (isF32(types) ? w.op('f32.div', x, y) : i32Div(w, x, y)),
      vector: { render: (w, [x, y]) => w.op('f32x4.div', x, y) },
    },
  },
  max: {
    summary: 'the larger operand; NaN if either is NaN', arity: 2, dtype: sameDType(NUM), scalar: always(nanMax), commutative: true,
    js: { render: call('Math.max'), exact: true },
    wgsl: { render: byFloat(call(wgslMax.name), call('max')), helpers: [wgslMax] },
    wasm: {
      scalar: (w, [x, y], types) => (isF32(types) ? w.op('f32.max', x, y) : i32Pick(w, x, y, 'i32.gt_s')),
      vector: { render: (w, [x, y]) => w.op('f32x4.max', x, y) },
    },
  },
  min: {
    summary: 'the smaller operand; NaN if either is NaN', arity: 2, dtype: sameDType(NUM), scalar: always(nanMin), commutative: true,
    js: { render: call('Math.min'), exact: true },
    wgsl: { render: byFloat(call(wgslMin.name), call('min')), helpers: [wgslMin] },
    wasm: {
      scalar: (w, [x, y], types) => (isF32(types) ? w.op('f32.min', x, y) : i32Pick(w, x, y, 'i32.lt_s')),
      vector: { render: (w, [x, y]) => w.op('f32x4.min', x, y) },
    },
  },
} satisfies Record<string, ExprOpRecord>;
