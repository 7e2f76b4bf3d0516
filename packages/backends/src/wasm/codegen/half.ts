// IEEE half-precision conversions for f16 tensors (storage only: arithmetic runs in f32), as
// scalar module functions: f16 bits (i32) → f32, and f32 → f16 bits rounded to nearest even,
// bit-for-bit the same as the interpreter's f16BitsToF32 / f32ToF16Bits.

import type { FuncRef, ModuleBuilder } from '../encoder/module.ts';
import { bind, get, i32, op } from './ops.ts';

export function defineF16ToF32(m: ModuleBuilder): FuncRef {
  return m.func('f16_to_f32', ['i32'], ['f32'], (c) => {
    const [h] = c.params;
    const sign = bind(c, 'i32', op('i32.shl', op('i32.and', get(h), i32(0x8000)), i32(16)));
    const exp = bind(c, 'i32', op('i32.and', op('i32.shr_u', get(h), i32(10)), i32(0x1f)));
    const frac = bind(c, 'i32', op('i32.and', get(h), i32(0x3ff)));
    // subnormal: frac * 2^-24 with the sign
    c.get(exp).op('i32.eqz').if(() => {
      op('f32.copysign', op('f32.mul', op('f32.convert_i32_u', get(frac)), (cc) => cc.f32(2 ** -24)), op('f32.reinterpret_i32', get(sign)))(c);
      c.op('return');
    });
    // inf / NaN keep an all-ones exponent; normal numbers rebias 15 → 127
    const bits = op('i32.or', op('i32.or', get(sign), op('i32.shl', get(frac), i32(13))),
      (cc) => {
        cc.i32(0x7f800000);
        op('i32.shl', op('i32.add', get(exp), i32(112)), i32(23))(cc);
        op('i32.eq', get(exp), i32(0x1f))(cc);
        cc.op('select');
      });
    op('f32.reinterpret_i32', bits)(c);
  });
}

export function defineF32ToF16(m: ModuleBuilder): FuncRef {
  return m.func('f32_to_f16', ['f32'], ['i32'], (c) => {
    const [value] = c.params;
    const x = bind(c, 'i32', op('i32.reinterpret_f32', get(value)));
    const sign = bind(c, 'i32', op('i32.and', op('i32.shr_u', get(x), i32(16)), i32(0x8000)));
    const exp = bind(c, 'i32', op('i32.and', op('i32.shr_u', get(x), i32(23)), i32(0xff)));
    const mant = bind(c, 'i32', op('i32.and', get(x), i32(0x7fffff)));
    const e = bind(c, 'i32', op('i32.sub', get(exp), i32(112)));
    const ret = (v: (cc: typeof c) => void) => { v(c); c.op('return'); };
    // NaN / inf
    op('i32.eq', get(exp), i32(0xff))(c);
    c.if(() => ret(op('i32.or', op('i32.or', get(sign), i32(0x7c00)), (cc) => {
      cc.i32(0x200).i32(0);
      op('i32.ne', get(mant), i32(0))(cc);
      cc.op('select');
    })));
    op('i32.ge_s', get(e), i32(0x1f))(c);
    c.if(() => ret(op('i32.or', get(sign), i32(0x7c00))));
    const half = c.local('i32');
    const rem = c.local('i32');
    const mid = c.local('i32');
    op('i32.le_s', get(e), i32(0))(c);
    c.if(() => {
      op('i32.lt_s', get(e), i32(-10))(c);
      c.if(() => ret(get(sign)));
      const full = bind(c, 'i32', op('i32.or', get(mant), i32(0x800000)));
      const shift = bind(c, 'i32', op('i32.sub', i32(14), get(e)));
      op('i32.shr_u', get(full), get(shift))(c); c.set(half);
      op('i32.and', get(full), op('i32.sub', op('i32.shl', i32(1), get(shift)), i32(1)))(c); c.set(rem);
      op('i32.shl', i32(1), op('i32.sub', get(shift), i32(1)))(c); c.set(mid);
    }, () => {
      op('i32.or', op('i32.shl', get(e), i32(10)), op('i32.shr_u', get(mant), i32(13)))(c); c.set(half);
      op('i32.and', get(mant), i32(0x1fff))(c); c.set(rem);
      c.i32(0x1000).set(mid);
    });
    // round to nearest, ties to even
    const up = op('i32.or', op('i32.gt_u', get(rem), get(mid)), op('i32.and', op('i32.eq', get(rem), get(mid)), op('i32.and', get(half), i32(1))));
    op('i32.or', get(sign), op('i32.add', get(half), up))(c);
  });
}
