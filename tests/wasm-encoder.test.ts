// The wasm backend's own encoder and building blocks: LEB128 forms, modules that
// WebAssembly.validate accepts (SIMD, relaxed SIMD once enabled, shared memory with atomics),
// every f32 expression op's vector and scalar forms against its record's reference (erf, tanh and
// the GELUs to < 1e-6 absolute), its vector form written in place (ExprLib.inlined) bit for bit
// against the called one, and the f16 conversions bit for bit against the interpreter's.

import { describe, expect, it } from 'vitest';
import { EXPR_OPS, type ExprOp, f16BitsToF32, f32ToF16Bits } from '@smelt/ir';
import { Bytes } from '../packages/backends/src/wasm/encoder/bytes.ts';
import { ModuleBuilder } from '../packages/backends/src/wasm/encoder/module.ts';
import { ExprLib } from '../packages/backends/src/wasm/codegen/expr.ts';
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

describe('wasm forms of the f32 expression ops', () => {
  /** Every op taking and giving f32 with a vector form (so a new one is checked here too). */
  const ops = (Object.keys(EXPR_OPS) as ExprOp[]).filter((o) => {
    const r = EXPR_OPS[o];
    return r.wasm.vector !== undefined && r.arity <= 2 && r.dtype(Array(r.arity).fill('f32')) === 'f32';
  });
  /** Allowed error: absolute below 1, relative above (default 4e-7: a few f32 ulps). */
  const TOL: Partial<Record<ExprOp, number>> = { tanh: 1e-6, erf: 1e-6, gelu: 1e-6, gelu_tanh: 1e-6, pow: 2e-6 };
  /** Inputs beyond the special values, mapped into the op's domain. */
  const DOMAIN: Partial<Record<ExprOp, (v: number, i: number) => number>> = {
    log: Math.abs, pow: (v, i) => (Math.abs(v) % 4) * (i % 8 ? 1 : -1),
  };
  const m = new ModuleBuilder(memory());
  const lib = new ExprLib(m);
  for (const o of ops) {
    const arity = EXPR_OPS[o].arity;
    m.export(`${o}_v`, m.func(`${o}_v`, ['i32', 'i32', 'i32'], [], (c) => {
      const [x, y, out] = c.params;
      const load = (p: typeof x) => (cc: typeof c) => cc.get(p).mem('v128.load');
      c.get(out);
      lib.apply(o, 'vector', ...[load(x), load(y)].slice(0, arity))(c);
      c.mem('v128.store');
    }));
    // The same vector form written in place (ExprLib.inlined, as attention's softmax uses exp).
    m.export(`${o}_i`, m.func(`${o}_i`, ['i32', 'i32', 'i32'], [], (c) => {
      const [x, y, out] = c.params;
      const load = (p: typeof x) => (cc: typeof c) => cc.get(p).mem('v128.load');
      const inlined = lib.inlined(o, c);
      c.get(out);
      inlined(...[load(x), load(y)].slice(0, arity))(c);
      c.mem('v128.store');
    }));
    m.export(`${o}_s`, m.func(`${o}_s`, ['f32', 'f32'], ['f32'], (c) => {
      const [x, y] = c.params;
      lib.apply(o, 'scalar', ...[(cc: typeof c) => cc.get(x), (cc: typeof c) => cc.get(y)].slice(0, arity))(c);
    }));
  }
  const { exports, memory: mem } = instantiate(m.encode(), 1);
  const F = new Float32Array(mem.buffer);
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-8, 0.5, -0.5, 0.62, 0.63, 1, -1, 9, 88.7, 89, -87.4, -104, 1e4, -1e4];
  const xs = [...specials, ...Array.from({ length: 3000 }, () => (rand() - 0.5) * 24), ...Array.from({ length: 500 }, () => rand() * 120 - 60)].map(Math.fround);
  const ys = [0, 2, -1, 3, 0.5, 1.5, -2, 1, NaN, Infinity, -Infinity, 2.5];
  /** The inputs four at a time (mapped into o's domain past the specials), x at F[0..4) and y splatted at F[4..8). */
  const eachQuad = (o: ExprOp, body: (x: number[], y: number) => void) => {
    for (let i = 0; i < xs.length; i += 4) {
      const x = xs.slice(i, i + 4).map((v) => (i >= specials.length && DOMAIN[o] ? Math.fround(DOMAIN[o](v, i)) : v));
      while (x.length < 4) x.push(0);
      const y = ys[(i / 4) % ys.length];
      F.set(x, 0);
      F.set([y, y, y, y], 4);
      body(x, y);
    }
  };

  it('covers the f32 math', () => expect(ops).toEqual(expect.arrayContaining(['exp', 'log', 'tanh', 'erf', 'sigmoid', 'gelu', 'gelu_tanh', 'sin', 'cos', 'pow', 'add', 'relu'])));

  it.each(ops)('%s matches the reference, on f32x4 lanes and on scalars', (o) => {
    const ref = EXPR_OPS[o].scalar(['f32', 'f32']);
    const check = (got: number, x: number, y: number) => {
      const want = Math.fround(ref(x, y));
      if (Number.isNaN(want) || Number.isNaN(got)) {
        expect(Number.isNaN(got), `${o}(${x}, ${y}) = ${got}, want ${want}`).toBe(Number.isNaN(want));
        return;
      }
      if (!Number.isFinite(want)) return void expect(got, `${o}(${x}, ${y})`).toBe(want);
      const err = Math.abs(got - want) / Math.max(1, Math.abs(want));
      expect(err, `${o}(${x}, ${y}) = ${got}, want ${want}`).toBeLessThanOrEqual(TOL[o] ?? 4e-7);
    };
    eachQuad(o, (x, y) => {
      exports[`${o}_v`](0, 16, 32);
      x.forEach((v, l) => {
        check(F[8 + l], v, y);
        check(exports[`${o}_s`](v, y), v, y);
      });
    });
  });

  it.each(ops)('%s written in place equals its called form bit for bit', (o) => {
    const bits = new Uint32Array(mem.buffer);
    eachQuad(o, (x, y) => {
      exports[`${o}_v`](0, 16, 32);
      exports[`${o}_i`](0, 16, 48);
      for (let l = 0; l < 4; l++) if (bits[8 + l] !== bits[12 + l]) expect.fail(`${o}(${x[l]}, ${y}): in place ${F[12 + l]}, called ${F[8 + l]}`);
    });
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
