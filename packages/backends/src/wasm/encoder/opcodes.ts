// Opcode tables of the instructions smelt emits: core (one byte), saturating truncation and bulk
// memory (0xfc prefix), SIMD128 and relaxed SIMD (0xfd prefix), and atomics (0xfe prefix).
// Instructions without immediates are looked up by their text-format name; memory instructions
// carry their natural alignment (log2 bytes) for the memarg.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export const VALTYPE: { readonly [T in ValType]: number } = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** One-byte instructions without immediates. */
export const CORE_OPS = {
  unreachable: 0x00, nop: 0x01, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a, 'i32.gt_u': 0x4b,
  'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i64.eqz': 0x50, 'i64.eq': 0x51, 'i64.ne': 0x52, 'i64.lt_s': 0x53, 'i64.gt_s': 0x55, 'i64.le_s': 0x57, 'i64.ge_s': 0x59,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'f64.eq': 0x61, 'f64.ne': 0x62, 'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'i32.clz': 0x67, 'i32.ctz': 0x68, 'i32.popcnt': 0x69, 'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c,
  'i32.div_s': 0x6d, 'i32.div_u': 0x6e, 'i32.rem_s': 0x6f, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72,
  'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76,
  'i64.add': 0x7c, 'i64.sub': 0x7d, 'i64.mul': 0x7e, 'i64.div_u': 0x80, 'i64.and': 0x83, 'i64.or': 0x84, 'i64.shl': 0x86, 'i64.shr_s': 0x87, 'i64.shr_u': 0x88,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f, 'f32.nearest': 0x90,
  'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96,
  'f32.max': 0x97, 'f32.copysign': 0x98,
  'f64.abs': 0x99, 'f64.neg': 0x9a, 'f64.sqrt': 0x9f, 'f64.add': 0xa0, 'f64.sub': 0xa1, 'f64.mul': 0xa2, 'f64.div': 0xa3,
  'f64.min': 0xa4, 'f64.max': 0xa5,
  'i32.wrap_i64': 0xa7, 'i32.trunc_f32_s': 0xa8, 'i64.extend_i32_s': 0xac, 'i64.extend_i32_u': 0xad,
  'f32.convert_i32_s': 0xb2, 'f32.convert_i32_u': 0xb3, 'f32.convert_i64_s': 0xb4, 'f32.demote_f64': 0xb6,
  'f64.convert_i32_s': 0xb7, 'f64.convert_i64_s': 0xb9, 'f64.promote_f32': 0xbb,
  'i32.reinterpret_f32': 0xbc, 'i64.reinterpret_f64': 0xbd, 'f32.reinterpret_i32': 0xbe, 'f64.reinterpret_i64': 0xbf,
  'i32.extend8_s': 0xc0, 'i32.extend16_s': 0xc1,
} as const;

/** 0xfc-prefixed instructions without immediates (saturating float-to-int). */
export const SAT_OPS = {
  'i32.trunc_sat_f32_s': 0, 'i32.trunc_sat_f32_u': 1, 'i32.trunc_sat_f64_s': 2, 'i64.trunc_sat_f32_s': 4, 'i64.trunc_sat_f64_s': 6,
} as const;

/** 0xfd-prefixed SIMD128 instructions without immediates. */
export const SIMD_OPS = {
  'i8x16.swizzle': 0x0e, 'i8x16.splat': 0x0f, 'i16x8.splat': 0x10, 'i32x4.splat': 0x11, 'i64x2.splat': 0x12,
  'f32x4.splat': 0x13, 'f64x2.splat': 0x14,
  'i32x4.eq': 0x37, 'i32x4.ne': 0x38, 'i32x4.lt_s': 0x39, 'i32x4.lt_u': 0x3a, 'i32x4.gt_s': 0x3b, 'i32x4.gt_u': 0x3c,
  'i32x4.le_s': 0x3d, 'i32x4.ge_s': 0x3f,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51, 'v128.bitselect': 0x52,
  'v128.any_true': 0x53,
  'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i16x8.narrow_i32x4_s': 0x85, 'i16x8.extend_low_i8x16_s': 0x87, 'i16x8.extend_high_i8x16_s': 0x88,
  'i32x4.abs': 0xa0, 'i32x4.neg': 0xa1, 'i32x4.all_true': 0xa3, 'i32x4.bitmask': 0xa4,
  'i32x4.extend_low_i16x8_s': 0xa7, 'i32x4.extend_high_i16x8_s': 0xa8,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1, 'i32x4.mul': 0xb5,
  'i32x4.min_s': 0xb6, 'i32x4.max_s': 0xb8, 'i32x4.dot_i16x8_s': 0xba,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5, 'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea, 'f32x4.pmax': 0xeb,
  'i32x4.trunc_sat_f32x4_s': 0xf8, 'f32x4.convert_i32x4_s': 0xfa,
  // relaxed SIMD (validated only where the engine accepts it)
  'f32x4.relaxed_madd': 0x105, 'f32x4.relaxed_nmadd': 0x106, 'f32x4.relaxed_min': 0x10d, 'f32x4.relaxed_max': 0x10e,
} as const;

/** Memory instructions: [prefix (0 = none), opcode, natural alignment as log2 bytes]. */
export const MEM_OPS = {
  'i32.load': [0, 0x28, 2], 'i64.load': [0, 0x29, 3], 'f32.load': [0, 0x2a, 2], 'f64.load': [0, 0x2b, 3],
  'i32.load8_u': [0, 0x2d, 0], 'i32.load16_u': [0, 0x2f, 1],
  'i32.store': [0, 0x36, 2], 'i64.store': [0, 0x37, 3], 'f32.store': [0, 0x38, 2], 'f64.store': [0, 0x39, 3],
  'i32.store8': [0, 0x3a, 0], 'i32.store16': [0, 0x3b, 1],
  'v128.load': [0xfd, 0x00, 4], 'v128.load8x8_s': [0xfd, 0x01, 3], 'v128.load16x4_s': [0xfd, 0x03, 3], 'v128.load32_splat': [0xfd, 0x09, 2], 'v128.store': [0xfd, 0x0b, 4],
  'v128.load32_zero': [0xfd, 0x5c, 2], 'v128.load64_zero': [0xfd, 0x5d, 3],
  'memory.atomic.notify': [0xfe, 0x00, 2], 'memory.atomic.wait32': [0xfe, 0x01, 2],
  'i32.atomic.load': [0xfe, 0x10, 2], 'i32.atomic.store': [0xfe, 0x17, 2], 'i32.atomic.rmw.add': [0xfe, 0x1e, 2],
} as const;

/** Lane instructions (0xfd prefix, one lane-index immediate). */
export const LANE_OPS = {
  'i32x4.extract_lane': 0x1b, 'i32x4.replace_lane': 0x1c, 'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20,
} as const;

/** Store one lane to memory: [opcode, alignment log2]. */
export const STORE_LANE_OPS = { 'v128.store32_lane': [0x5a, 2], 'v128.store64_lane': [0x5b, 3] } as const;

export type CoreOp = keyof typeof CORE_OPS;
export type SatOp = keyof typeof SAT_OPS;
export type SimdOp = keyof typeof SIMD_OPS;
export type PlainOp = CoreOp | SatOp | SimdOp;
export type MemOp = keyof typeof MEM_OPS;
export type LaneOp = keyof typeof LANE_OPS;
export type StoreLaneOp = keyof typeof STORE_LANE_OPS;

/** Encoded bytes of an instruction without immediates. */
export function plainOpBytes(op: PlainOp): number[] {
  if (op in CORE_OPS) return [CORE_OPS[op as CoreOp]];
  if (op in SAT_OPS) return [0xfc, SAT_OPS[op as SatOp]];
  return [0xfd, ...uleb(SIMD_OPS[op as SimdOp])];
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
