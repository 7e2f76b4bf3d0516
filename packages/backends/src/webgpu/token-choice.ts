// Choosing the next token on the GPU, dispatched after a decoding step's kernels in the same pass,
// so a step is one submit and only the token ids (4 bytes a row) come back. One workgroup per row.
// Greedy: the first index of the largest logit. Sampling follows the CPU sampler
// (@smelt/models' sampler.ts) without sorting: tokens are ordered by the key (x descending, index
// ascending), written as the pair (ord(x), vocab - 1 - index) where ord maps f32 bits to u32 in
// the order of the floats, so "the first m tokens in order" is "the keys >= the m-th key". With
// count(T) and mass(T) (the tokens, and their probability, at keys >= T) computed by a workgroup
// reduction, each cut of the sampler is the largest key T where a monotone test holds, found bit
// by bit (32 bits of ord, then the index bits):
//   top-k:  the k-th key, the largest T with count(T) >= k;
//   top-p:  the largest T (at or above the top-k cut) with mass(T) >= topP;
//   draw:   u = draw * mass(top-p cut); the token is the largest T with mass(T) > u.
// The CPU sampler works in f64, this in f32: a token can differ only where u lands within f32
// rounding of a boundary between two tokens' running sums.
// The in-process executable and an exported model.js (aot/host.ts, which carries this file's text)
// both dispatch it through `tokenChoiceStep`, so it imports only types and embedded files.

import type { TokenChoice } from '../resident.ts';
import { BUFFER_USAGE, bindingBytes } from './portable-host.ts';
import type { KernelProgram } from './program.ts';


const WORKGROUP = 64;

const WGSL = /* wgsl */ `
struct Params { vocab: u32, greedy: u32, topK: u32, indexBits: u32, temperature: f32, topP: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> draws: array<f32>;
@group(0) @binding(3) var<storage, read_write> tokens: array<i32>;

var<workgroup> partF: array<f32, ${WORKGROUP}>;
var<workgroup> partU: array<u32, ${WORKGROUP}>;
var<workgroup> resultF: f32;
var<workgroup> resultU: u32;

fn ord(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// Reductions take two barriers: every lane writes its part, lane 0 combines them into the result,
// which every lane reads as a uniform value (the next reduction's parts never overwrite it).
fn reduceF(v: f32, lid: u32, isMax: bool) -> f32 {
  partF[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var acc = partF[0];
    for (var i = 1u; i < ${WORKGROUP}u; i = i + 1u) { acc = select(acc + partF[i], max(acc, partF[i]), isMax); }
    resultF = acc;
  }
  return workgroupUniformLoad(&resultF);
}

fn reduceU(v: u32, lid: u32, isMax: bool) -> u32 {
  partU[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var acc = partU[0];
    for (var i = 1u; i < ${WORKGROUP}u; i = i + 1u) { acc = select(acc + partU[i], max(acc, partU[i]), isMax); }
    resultU = acc;
  }
  return workgroupUniformLoad(&resultU);
}

/** Is key (o, j) at or above key (ko, kj)? */
fn atOrAbove(o: u32, j: u32, ko: u32, kj: u32) -> bool {
  return o > ko || (o == ko && j >= kj);
}

struct Cut { o: u32, j: u32 }

/** Tokens (what = 0) or their mass (what = 1) at keys >= (to, tj) and >= the floor cut. */
fn measure(row: u32, lid: u32, what: u32, to: u32, tj: u32, floor: Cut, xmax: f32, norm: f32) -> f32 {
  var acc = 0.0;
  for (var i = lid; i < P.vocab; i = i + ${WORKGROUP}u) {
    let x = logits[row * P.vocab + i] / P.temperature;
    let o = ord(x);
    let j = P.vocab - 1u - i;
    if (atOrAbove(o, j, to, tj) && atOrAbove(o, j, floor.o, floor.j)) {
      acc = acc + select(1.0, exp(x - xmax) / norm, what == 1u);
    }
  }
  return reduceF(acc, lid, false);
}

/** The largest key T (>= floor) with measure(T) >= limit (strict: > limit); the floor when there is none. */
fn largestCut(row: u32, lid: u32, what: u32, limit: f32, strict: bool, floor: Cut, xmax: f32, norm: f32) -> Cut {
  var o = 0u;
  for (var b = 31i; b >= 0i; b = b - 1i) {
    let c = o | (1u << u32(b));
    let m = measure(row, lid, what, c, 0u, floor, xmax, norm);
    if (select(m >= limit, m > limit, strict)) { o = c; }
  }
  var j = 0u;
  for (var b = i32(P.indexBits) - 1i; b >= 0i; b = b - 1i) {
    let c = j | (1u << u32(b));
    let m = measure(row, lid, what, o, c, floor, xmax, norm);
    if (select(m >= limit, m > limit, strict)) { j = c; }
  }
  let m0 = measure(row, lid, what, o, j, floor, xmax, norm);
  if (!select(m0 >= limit, m0 > limit, strict)) { return floor; }
  return Cut(o, j);
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let row = wg.x;
  let lid = l.x;
  // The top key: (largest ord, then the largest vocab - 1 - index among those, i.e. the first index).
  var best = 0u;
  for (var i = lid; i < P.vocab; i = i + ${WORKGROUP}u) { best = max(best, ord(logits[row * P.vocab + i])); }
  let topO = reduceU(best, lid, true);
  var first = 0u;
  for (var i = lid; i < P.vocab; i = i + ${WORKGROUP}u) {
    if (ord(logits[row * P.vocab + i]) == topO) { first = max(first, P.vocab - i); }
  }
  let top = reduceU(first, lid, true);
  if (P.greedy == 1u) {
    if (lid == 0u) { tokens[row] = i32(P.vocab - top); }
    return;
  }
  var mx = -0x1.fffffep+127f;
  for (var i = lid; i < P.vocab; i = i + ${WORKGROUP}u) { mx = max(mx, logits[row * P.vocab + i] / P.temperature); }
  let xmax = reduceF(mx, lid, true);
  let all = Cut(0u, 0u);
  var kept = all;
  if (P.topK > 0u && P.topK < P.vocab) { kept = largestCut(row, lid, 0u, f32(P.topK), false, all, xmax, 1.0); }
  let norm = measure(row, lid, 1u, kept.o, kept.j, all, xmax, 1.0);
  var nucleus = kept;
  if (P.topP < 1.0) { nucleus = largestCut(row, lid, 1u, P.topP, false, kept, xmax, norm); }
  let total = measure(row, lid, 1u, nucleus.o, nucleus.j, all, xmax, norm);
  let u = draws[row] * total;
  let pick = largestCut(row, lid, 1u, u, true, nucleus, xmax, norm);
  if (lid == 0u) { tokens[row] = i32(P.vocab - 1u - pick.j); }
}
`;

/** How to choose: greedy, or sampling with the CPU sampler's options. */
export interface TokenChoiceParams {
  readonly greedy: boolean;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

/** The token-choice shader as a program of the pipeline cache: logits, draws, tokens after the uniform. */
export const TOKEN_CHOICE_PROGRAM: KernelProgram = {
  label: 'token choice',
  wgsl: WGSL,
  bindings: [
    { buffer: -1, access: 'read', vec4: false },
    { buffer: -1, access: 'read', vec4: false },
    { buffer: -1, access: 'read_write', vec4: false },
  ],
  // One workgroup per row: the host dispatches it with the row count (the plan's dims do not say it).
  grid: { kind: 'xyz', axes: [{ dims: [], per: 1 }, { dims: [], per: 1 }, { dims: [], per: 1 }] },
};

/** The uniform words of Params. */
export function tokenChoiceUniform(vocab: number, p: TokenChoiceParams): ArrayBuffer {
  const buf = new ArrayBuffer(32);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = vocab;
  u[1] = p.greedy ? 1 : 0;
  u[2] = p.topK;
  u[3] = Math.max(1, Math.ceil(Math.log2(vocab)));
  f[4] = p.temperature;
  f[5] = p.topP;
  return buf;
}

/** The dispatch of a token choice over `rows` rows of logits of `vocab` at `logits`, where its tokens land, and the buffers it made. */
export interface TokenChoiceStep {
  readonly bindGroup: GPUBindGroup;
  readonly grid: [number, number, number];
  readonly tokens: { readonly buffer: GPUBuffer; readonly offset: number; readonly bytes: number };
  /** The uniform, draws and tokens it made (none when reused): destroyed once the run has read the tokens. */
  readonly buffers: GPUBuffer[];
}

/** The uniform, draws and tokens buffers of a token choice over `rows` rows. */
export interface TokenChoiceBuffers {
  readonly rows: number;
  readonly params: GPUBuffer;
  readonly draws: GPUBuffer;
  readonly tokens: GPUBuffer;
}

/** New buffers for a token choice over `rows` rows. */
export function tokenChoiceBuffers(device: GPUDevice, rows: number): TokenChoiceBuffers {
  return {
    rows,
    params: device.createBuffer({ size: 32, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST, label: 'token choice' }),
    draws: device.createBuffer({ size: bindingBytes(4 * rows), usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST, label: 'draws' }),
    tokens: device.createBuffer({ size: bindingBytes(4 * rows), usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC, label: 'tokens' }),
  };
}

/**
 * Bind the token choice (its pipeline's `layout`) to the logits; sampling needs one draw per row.
 * `reused`: buffers of an earlier run of `rows` rows to write again (the caller keeps them); without
 * it the step makes its own, listed in `buffers`.
 */
export function tokenChoiceStep(
  device: GPUDevice, layout: GPUBindGroupLayout, choice: TokenChoice, logits: { readonly buffer: GPUBuffer; readonly offset: number; readonly bytes: number }, vocab: number, rows: number,
  reused?: TokenChoiceBuffers,
): TokenChoiceStep {
  if (choice.strategy === 'sample' && choice.draws?.length !== rows) throw new Error(`webgpu: runChoosing: sampling needs one draw per row (${rows}), got ${choice.draws?.length ?? 0}`);
  const { params, draws, tokens } = reused?.rows === rows ? reused : tokenChoiceBuffers(device, rows);
  device.queue.writeBuffer(params, 0, tokenChoiceUniform(vocab, { greedy: choice.strategy === 'greedy', temperature: choice.temperature, topK: choice.topK, topP: choice.topP }));
  if (choice.draws) device.queue.writeBuffer(draws, 0, Float32Array.from(choice.draws));
  const bindGroup = device.createBindGroup({
    layout,
    entries: [
      { binding: 0, resource: { buffer: params } },
      { binding: 1, resource: { buffer: logits.buffer, offset: logits.offset, size: bindingBytes(logits.bytes) } },
      { binding: 2, resource: { buffer: draws } },
      { binding: 3, resource: { buffer: tokens } },
    ],
  });
  return { bindGroup, grid: [rows, 1, 1], tokens: { buffer: tokens, offset: 0, bytes: 4 * rows }, buffers: reused?.rows === rows ? [] : [params, draws, tokens] };
}
