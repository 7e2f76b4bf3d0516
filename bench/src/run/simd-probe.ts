// The machine probe: a fixed WebAssembly SIMD loop timed in each engine's process just before each
// timed run. On this shared machine the core an engine runs on is at times shared with other
// tenants' work; a latency-bound scalar loop does not notice, but SIMD throughput drops by up to a
// third for tens of seconds at a time, and every SIMD kernel with it. The probe's rate, against the
// best it reached in the workload, says how much of the core the engine had while it was timed.
//
// The loop keeps 6 f32x4 add chains and 6 f32x4 mul chains in registers (no memory), so it measures
// the vector pipes alone: 48 flops per iteration. The module is written out byte by byte here: it
// is 100-odd bytes, and the bench must not depend on smelt's encoder to judge smelt.

const CHAINS = 6;
const FLOPS_PER_ITERATION = 2 * CHAINS * 4;
/** Wall time one probe aims at: long enough to time, short beside any workload run. */
const TARGET_MS = 3;

/** Unsigned LEB128, for section and body sizes. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const f32 = (x: number) => [...new Uint8Array(Float32Array.of(x).buffer)];

/** (func (param $iters i32) (result f32)): run the chains $iters times, return a sum of them. */
export function probeModuleBytes(): Uint8Array {
  const [LOCAL_GET, LOCAL_SET, LOCAL_TEE, F32_CONST, SIMD] = [0x20, 0x21, 0x22, 0x43, 0xfd];
  const F32X4_SPLAT = [SIMD, 0x13];
  const F32X4_ADD = [SIMD, ...leb(228)];
  const F32X4_MUL = [SIMD, ...leb(230)];
  const F32X4_EXTRACT_LANE_0 = [SIMD, 0x1f, 0];
  // Locals: 0 $iters, 1..6 add chains, 7..12 mul chains, 13 the addend, 14 the factor.
  const adds = Array.from({ length: CHAINS }, (_, i) => 1 + i);
  const muls = Array.from({ length: CHAINS }, (_, i) => 1 + CHAINS + i);
  const [ADDEND, FACTOR] = [1 + 2 * CHAINS, 2 + 2 * CHAINS];
  const splatTo = (x: number, local: number) => [F32_CONST, ...f32(x), ...F32X4_SPLAT, LOCAL_SET, local];
  const code = [
    1, 2 * CHAINS + 2, 0x7b, // locals: 14 × v128
    ...splatTo(1e-3, ADDEND), ...splatTo(0.9999999, FACTOR),
    ...muls.flatMap((l) => splatTo(1, l)),
    0x03, 0x40, // loop
    ...adds.flatMap((l) => [LOCAL_GET, l, LOCAL_GET, ADDEND, ...F32X4_ADD, LOCAL_SET, l]),
    ...muls.flatMap((l) => [LOCAL_GET, l, LOCAL_GET, FACTOR, ...F32X4_MUL, LOCAL_SET, l]),
    LOCAL_GET, 0, 0x41, 1, 0x6b, LOCAL_TEE, 0, 0x0d, 0, // $iters -= 1; br_if loop
    0x0b, // end loop
    LOCAL_GET, 1, ...[...adds.slice(1), ...muls].flatMap((l) => [LOCAL_GET, l, ...F32X4_ADD]),
    ...F32X4_EXTRACT_LANE_0,
    0x0b,
  ];
  const name = [...'probe'].map((ch) => ch.charCodeAt(0));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, name.length, ...name, 0x00, 0]),
    ...section(10, [1, ...leb(code.length), ...code]),
  ]);
}

/** The slice of the WebAssembly JS API the probe needs (the workspace compiles without the DOM lib). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

export const wasmApi = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export class SimdProbe {
  private readonly run: (iters: number) => number;
  private iters = 1e5;
  /** Keeps the result observable so no engine could drop the loop. */
  private sink = 0;

  constructor() {
    const api = wasmApi();
    const instance = new api.Instance(new api.Module(probeModuleBytes()));
    this.run = instance.exports.probe as (iters: number) => number;
  }

  /** Tier the loop up to optimized code, then size one probe to about TARGET_MS. */
  calibrate(): void {
    let best = Infinity;
    for (let i = 0; i < 30; i++) best = Math.min(best, this.time(1e5));
    this.iters = Math.max(1e4, Math.round((1e5 * TARGET_MS) / Math.max(best, 1e-3)));
  }

  /** GFLOP/s of one probe now. */
  measure(): number {
    return (this.iters * FLOPS_PER_ITERATION) / (this.time(this.iters) * 1e6);
  }

  private time(iters: number): number {
    const t0 = performance.now();
    this.sink += this.run(iters);
    return performance.now() - t0;
  }
}
