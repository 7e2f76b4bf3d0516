// Scalar loads and stores of every dtype in its natural storage (f32 4 bytes, f16 2, i32 4,
// i64 8, u8 and bool 1), converting to and from the type scalar code computes in.

import type { DType } from '@smelt/ir';
import type { ProgramCtx } from './context.ts';
import type { Val } from './ops.ts';

export function loadScalar(prog: ProgramCtx, dtype: DType, addr: Val, offset = 0): Val {
  return (c) => {
    addr(c);
    switch (dtype) {
      case 'f32': c.mem('f32.load', offset); break;
      case 'i32': c.mem('i32.load', offset); break;
      case 'i64': c.mem('i64.load', offset); break;
      case 'u8': case 'bool': c.mem('i32.load8_u', offset); break;
      case 'f16': c.mem('i32.load16_u', offset).call(prog.half.toF32.index); break;
      default: dtype satisfies never;
    }
  };
}

export function storeScalar(prog: ProgramCtx, dtype: DType, addr: Val, value: Val, offset = 0): Val {
  return (c) => {
    addr(c);
    value(c);
    switch (dtype) {
      case 'f32': c.mem('f32.store', offset); break;
      case 'i32': c.mem('i32.store', offset); break;
      case 'i64': c.mem('i64.store', offset); break;
      case 'u8': case 'bool': c.mem('i32.store8', offset); break;
      case 'f16': c.call(prog.half.toF16.index).mem('i32.store16', offset); break;
      default: dtype satisfies never;
    }
  };
}
