// The wasm backend's own encoder and building blocks: LEB128 forms, modules that
// WebAssembly.validate accepts (SIMD, relaxed SIMD once enabled, shared memory with atomics),
// the vector math library against the reference functions (erf and tanh to < 1e-6 absolute,
// the GELUs likewise), and the f16 conversions bit for bit against the interpreter's.

import { describe, expect, it } from 'vitest';
import { erf, f16BitsToF32, f32ToF16Bits, geluErf, geluTanh, sigmoid } from '@smelt/ir';
import { Bytes } from '../packages/backends/src/wasm/encoder/bytes.ts';
import { ModuleBuilder } from '../packages/backends/src/wasm/encoder/module.ts';
import { MathLib, type MathFn } from '../packages/backends/src/wasm/codegen/math.ts';
import { defineF16ToF32, defineF32ToF16 } from '../packages/backends/src/wasm/codegen/half.ts';
import { relaxedSimdAvailable } from '../packages/backends/src/wasm/index.ts';
import { WASM, instantiate } from './wasm-suite.ts';

const hex = (b: Bytes) => Buffer.from(b.view()).toString('hex');
const memory = (shared = false) => ({ module: 'env', name: 'memory', initialPages: 1, maximumPages: 4, shared });

describe('wasm encoder', () => {
  it('writes LEB128 like the spec examples', () => {
    expect(hex(new Bytes().u32(624485))).toBe('e58e26');
    expect(hex(new Bytes().u32(0))).toBe('00');
    expect(hex(new Bytes().u32(0xffffffff))).toBe('ffffffff0f');
    expect(hex(new Bytes().s32(-123456))).toBe('c0bb78');
    expect(hex(new Bytes().s32(63))).toBe('3f');
    expect(hex(new Bytes().s32(64))).toBe('c000');
    expect(hex(new Bytes().s32(-64))).toBe('40');
    expect(hex(new Bytes().s32(-65))).toBe('bf7f');
    expect(hex(new Bytes().s64(-(2n ** 63n)))).toBe('8080808080808080807f');
    expect(() => new Bytes().u32(-1)).toThrow(/out of range/);
  });

  it('builds modules WebAssembly.validate accepts: SIMD, control flow, bulk memory', () => {
    const m = new ModuleBuilder(memory());
    const add = m.func('add', ['i32', 'i32'], ['i32'], (c) => c.get(c.params[0]).get(c.params[1]).op('i32.add'));
    m.export('sum', m.func('sum', ['i32', 'i32'], ['f32'], (c) => {
      const [p, n] = c.params;
      const acc = c.local('v128');
      c.block((exit) => c.loop((top) => {
        c.get(n).op('i32.eqz').brIf(exit);
        c.get(acc).get(p).mem('v128.load').op('f32x4.add').set(acc);
        c.get(p).i32(16).call(add.index).set(p);
        c.get(n).i32(-1).call(add.index).set(n);
        c.br(top);
      }));
      c.get(acc).lane('f32x4.extract_lane', 2);
    }));
    m.export('fill', m.func('fill', ['i32', 'i32', 'i32'], [], (c) => c.get(c.params[0]).get(c.params[1]).get(c.params[2]).memoryFill()));
    const bytes = m.encode();
    expect(WASM.validate(bytes)).toBe(true);
    const { exports, memory: mem } = instantiate(bytes, 1);
    new Float32Array(mem.buffer).set([1, 2, 3, 4, 10, 20, 30, 40]);
    expect(exports.sum(0, 2)).toBe(33);
    expect(() => m.define(add, () => {})).toThrow(/defined twice/);
  });

  it('builds shared-memory modules with atomics, and relaxed SIMD once the engine accepts it', async () => {
    const shared = new ModuleBuilder(memory(true));
    shared.export('inc', shared.func('inc', [], ['i32'], (c) => c.i32(0).i32(1).mem('i32.atomic.rmw.add')));
    expect(WASM.validate(shared.encode())).toBe(true);
    const relaxed = new ModuleBuilder(memory());
    relaxed.export('f', relaxed.func('f', [], ['f32'], (c) => c.f32x4(2).f32x4(3).f32x4(1).op('f32x4.relaxed_madd').lane('f32x4.extract_lane', 0)));
    expect(await relaxedSimdAvailable()).toBe(true);
    const { exports } = instantiate(relaxed.encode(), 1);
    expect(exports.f()).toBe(7);
  });
});

describe('wasm vector math', () => {
  const REF: { readonly [F in MathFn]: (a: number, b: number) => number } = {
    exp: Math.exp, log: Math.log, tanh: Math.tanh, erf, sigmoid, gelu: geluErf, gelu_tanh: geluTanh, sin: Math.sin, cos: Math.cos, pow: Math.pow,
  };
  /** Allowed error: absolute below 1, relative above (erf, tanh and the GELUs to 1e-6 absolute). */
  const TOL: { readonly [F in MathFn]: number } = { exp: 4e-7, log: 4e-7, tanh: 1e-6, erf: 1e-6, sigmoid: 4e-7, gelu: 1e-6, gelu_tanh: 1e-6, sin: 4e-7, cos: 4e-7, pow: 2e-6 };
  const fns = Object.keys(REF) as MathFn[];
  const m = new ModuleBuilder(memory());
  const lib = new MathLib(m);
  for (const f of fns) {
    m.export(f, m.func(f, ['i32', 'i32', 'i32'], [], (c) => {
      const [x, y, out] = c.params;
      const load = (p: typeof x) => (cc: typeof c) => cc.get(p).mem('v128.load');
      c.get(out);
      lib.call(f, ...[load(x), load(y)].slice(0, lib.arity(f)))(c);
      c.mem('v128.store');
    }));
  }
  const { exports, memory: mem } = instantiate(m.encode(), 1);
  const F = new Float32Array(mem.buffer);
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-8, 0.5, -0.5, 0.62, 0.63, 1, -1, 9, 88.7, 89, -87.4, -104, 1e4, -1e4];
  const xs = [...specials, ...Array.from({ length: 3000 }, () => (rand() - 0.5) * 24), ...Array.from({ length: 500 }, () => rand() * 120 - 60)].map(Math.fround);
  const ys = [0, 2, -1, 3, 0.5, 1.5, -2, 1, NaN, Infinity, -Infinity, 2.5];

  it.each(fns)('%s matches the reference', (f) => {
    for (let i = 0; i < xs.length; i += 4) {
      const x = xs.slice(i, i + 4).map((v) => (f === 'log' && i >= specials.length ? Math.abs(v) : f === 'pow' && i >= specials.length ? Math.abs(v) % 4 * (i % 8 ? 1 : -1) : v));
      while (x.length < 4) x.push(0);
      const y = ys[(i / 4) % ys.length];
      F.set(x, 0);
      F.set([y, y, y, y], 4);
      exports[f](0, 16, 32);
      x.forEach((v, l) => {
        const want = Math.fround(REF[f](v, y));
        const got = F[8 + l];
        if (Number.isNaN(want) || Number.isNaN(got)) {
          expect(Number.isNaN(got), `${f}(${v}, ${y}) = ${got}, want ${want}`).toBe(Number.isNaN(want));
          return;
        }
        if (!Number.isFinite(want)) return void expect(got, `${f}(${v}, ${y})`).toBe(want);
        const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
        expect(err, `${f}(${v}, ${y}) = ${got}, want ${want}`).toBeLessThanOrEqual(TOL[f]);
      });
    }
  });
});

describe('wasm f16 conversions', () => {
  const m = new ModuleBuilder(memory());
  m.export('toF32', defineF16ToF32(m));
  m.export('toF16', defineF32ToF16(m));
  const { exports } = instantiate(m.encode(), 1);

  it('decodes every half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const want = f16BitsToF32(h);
      const got = exports.toF32(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
      else if (got !== want || Object.is(got, -0) !== Object.is(want, -0)) expect.fail(`half ${h.toString(16)}: ${got} vs ${want}`);
    }
  });

  it('rounds floats to halves like the interpreter (ties to even, subnormals, overflow)', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let i = 0; i < 200000; i++) {
      bits[0] = Math.imul(i, 2654435761) >>> 0;
      const want = f32ToF16Bits(f[0]);
      const got = exports.toF16(f[0]);
      if (got !== want) expect.fail(`${f[0]}: ${got.toString(16)} vs ${want.toString(16)}`);
    }
  });
});
