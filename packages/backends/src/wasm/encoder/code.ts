// A function body under construction: typed locals, instructions by their text-format names,
// structured control flow with labels (so a branch names its target instead of counting depth),
// and the few forms with immediates (constants, memory, lanes, calls, bulk memory).

import { Bytes } from './bytes.ts';
import {
  LANE_OPS, type LaneOp, MEM_OPS, type MemOp, type PlainOp, STORE_LANE_OPS, type StoreLaneOp, VALTYPE, type ValType, plainOpBytes, uleb,
} from './opcodes.ts';

/** A local variable index with its type. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** A branch target: the control depth at which it was opened. */
export interface Label {
  readonly depth: number;
}

const opCache = new Map<PlainOp, number[]>();
function opBytes(op: PlainOp): number[] {
  let b = opCache.get(op);
  if (!b) opCache.set(op, (b = plainOpBytes(op)));
  return b;
}

export class Code {
  readonly body = new Bytes();
  readonly params: readonly Local[];
  private readonly locals: Local[] = [];
  private depth = 0;

  constructor(params: readonly ValType[], readonly results: readonly ValType[]) {
    this.params = params.map((type, index) => ({ index, type }));
  }

  /** A fresh local of `type` (locals are zero at function entry). */
  local(type: ValType): Local {
    const l = { index: this.params.length + this.locals.length, type };
    this.locals.push(l);
    return l;
  }

  op(...ops: PlainOp[]): this {
    for (const o of ops) this.body.raw(opBytes(o));
    return this;
  }

  get(l: Local): this { this.body.byte(0x20).u32(l.index); return this; }
  set(l: Local): this { this.body.byte(0x21).u32(l.index); return this; }
  tee(l: Local): this { this.body.byte(0x22).u32(l.index); return this; }

  i32(n: number): this { this.body.byte(0x41).s32(n); return this; }
  i64(n: bigint): this { this.body.byte(0x42).s64(n); return this; }
  f32(x: number): this { this.body.byte(0x43).f32(x); return this; }
  f64(x: number): this { this.body.byte(0x44).f64(x); return this; }

  /** v128.const from four f32 lanes. */
  f32x4(x: number, y = x, z = x, w = x): this {
    this.body.byte(0xfd).raw(uleb(0x0c));
    for (const v of [x, y, z, w]) this.body.f32(v);
    return this;
  }

  /** v128.const from four i32 lanes. */
  i32x4(x: number, y = x, z = x, w = x): this {
    this.body.byte(0xfd).raw(uleb(0x0c));
    const v = new DataView(new ArrayBuffer(16));
    [x, y, z, w].forEach((n, i) => v.setInt32(i * 4, n, true));
    this.body.raw(new Uint8Array(v.buffer));
    return this;
  }

  /** A memory access: address (and value, for stores) on the stack; `offset` is a constant byte offset. */
  mem(op: MemOp, offset = 0): this {
    const [prefix, code, align] = MEM_OPS[op];
    if (prefix) this.body.byte(prefix).raw(uleb(code));
    else this.body.byte(code);
    this.body.u32(align).u32(offset);
    return this;
  }

  lane(op: LaneOp, lane: number): this {
    this.body.byte(0xfd).raw(uleb(LANE_OPS[op])).byte(lane);
    return this;
  }

  storeLane(op: StoreLaneOp, lane: number, offset = 0): this {
    const [code, align] = STORE_LANE_OPS[op];
    this.body.byte(0xfd).raw(uleb(code)).u32(align).u32(offset).byte(lane);
    return this;
  }

  /** i8x16.shuffle with 16 byte-lane indices (0-15 from the first operand, 16-31 from the second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('shuffle needs 16 lane indices');
    this.body.byte(0xfd).raw(uleb(0x0d)).raw(lanes);
    return this;
  }

  /** memory.copy (dst, src, n on the stack). */
  memoryCopy(): this { this.body.byte(0xfc).u32(10).byte(0).byte(0); return this; }
  /** memory.fill (dst, byte, n on the stack). */
  memoryFill(): this { this.body.byte(0xfc).u32(11).byte(0); return this; }
  atomicFence(): this { this.body.byte(0xfe).byte(0x03).byte(0); return this; }

  call(funcIndex: number): this { this.body.byte(0x10).u32(funcIndex); return this; }

  private open(opcode: number, result: ValType | undefined, body: (l: Label) => void): this {
    this.body.byte(opcode).byte(result ? VALTYPE[result] : 0x40);
    const label = { depth: ++this.depth };
    body(label);
    this.depth--;
    this.body.byte(0x0b);
    return this;
  }

  /** block … end; a branch to the label jumps past the end. */
  block(body: (exit: Label) => void, result?: ValType): this { return this.open(0x02, result, body); }

  /** loop … end; a branch to the label jumps back to the top. */
  loop(body: (top: Label) => void): this { return this.open(0x03, undefined, body); }

  /** if … (else …) end, on the i32 condition on the stack. */
  if(then: () => void, otherwise?: () => void, result?: ValType): this {
    this.body.byte(0x04).byte(result ? VALTYPE[result] : 0x40);
    this.depth++;
    then();
    if (otherwise) {
      this.body.byte(0x05);
      otherwise();
    }
    this.depth--;
    this.body.byte(0x0b);
    return this;
  }

  br(l: Label): this { this.body.byte(0x0c).u32(this.depth - l.depth); return this; }
  brIf(l: Label): this { this.body.byte(0x0d).u32(this.depth - l.depth); return this; }

  /** The encoded body: local declarations (run-length by type), instructions, end. */
  encode(): Bytes {
    const out = new Bytes();
    const runs: [number, ValType][] = [];
    for (const l of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === l.type) last[0]++;
      else runs.push([1, l.type]);
    }
    out.u32(runs.length);
    for (const [n, t] of runs) out.u32(n).byte(VALTYPE[t]);
    out.raw(this.body.view()).byte(0x0b);
    return out;
  }
}
