// Attention, flash-style: softmax(q kᵀ · scale + mask, causal) v without a score matrix. Each
// invocation owns one query row (q and the output accumulator in registers as vec4s); the
// workgroup stages K and V tiles of TK keys in workgroup memory and every row folds a tile in with
// the online softmax (running max m, running sum l, rescaling by exp(m_old - m_new)). A row whose
// keys are all masked ends with l = 0 and is NaN, like the reference; so is a row with a NaN score
// (WGSL's max may drop a NaN, so each kernel notes one with is_nan). CPU adapters with subgroups
// get a variant without workgroup memory (subgroupAttention). Every variant addresses q, k, v, the
// mask and the result through the compiler's attentionAccess (a batch·head item's start, the step
// between rows: d in bhsd, H·d in bshd), so either layout and grouped heads read with no copy.

import { type Stride, attentionAccess } from '@smelt/compiler';
import type { AttentionLayout } from '@smelt/ir';
import { type KernelWriter, BUILTINS } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { f32Literal } from '../wgsl-types.ts';

const WQ = 32;
const MAX_TK = 16;

export interface AttentionKernel {
  readonly label: string; readonly q: number; readonly k: number; readonly v: number; readonly mask?: number;
  readonly out: number; readonly scale: number; readonly causal: boolean; readonly layout: AttentionLayout;
}

/** A WGSL expression of the vec4 `d4` of a row starting at element `base` (zero beyond `len`). */
function rowVec4(w: KernelWriter, id: number, base: string, d4: string, len: number): string {
  if (w.isVec4(id) && len % 4 === 0) return w.load4(id, `${base} + ${d4} * 4u`);
  const lane = (t: number) => `select(0.0f, ${w.load(id, `${base} + min(${d4} * 4u + ${t}u, ${len - 1}u)`)}, ${d4} * 4u + ${t}u < ${len}u)`;
  return `vec4<f32>(${[0, 1, 2, 3].map(lane).join(', ')})`;
}

/**
 * What the attention templates share: the bindings (q, k, v as vec4s where `vec4` says), `head`
 * (NEG_INF, the lengths Lq and Lk, the batch coordinates, the row strides QS, KS, VS and OS), `rows`
 * (given qi: the clamped query row qr, the offsets of q's row, of k, v and the result's item, the
 * mask's base and step), `adjust` (the statements that add the mask to a score sc of key j and apply
 * causality), and the grid of `per` queries per workgroup.
 */
function attentionFrame(w: KernelWriter, k: AttentionKernel, vec4: readonly [boolean, boolean, boolean]) {
  const a = attentionAccess(k, (id) => w.shape(id));
  w.bind(k.q, 'read', vec4[0]);
  w.bind(k.k, 'read', vec4[1]);
  w.bind(k.v, 'read', vec4[2]);
  if (k.mask !== undefined) w.bind(k.mask, 'read');
  w.bind(k.out, 'read_write');
  const stride = (st: Stride) => (st === null ? '0u' : w.dims.product(st));
  const offset = (strides: readonly Stride[]) => strides.flatMap((st, i) => (st === null ? [] : [`z${i} * ${stride(st)}`])).join(' + ') || '0u';
  const rows = [
    'let qr = min(qi, max(Lq, 1u) - 1u);',
    `let qOff = ${offset(a.q.batch)} + qr * QS;`,
    `let kOff = ${offset(a.k.batch)};`,
    `let vOff = ${offset(a.v.batch)};`,
    `let oOff = ${offset(a.out.batch)};`,
  ];
  if (a.mask !== undefined) {
    rows.push(`let m_base = ${offset(a.mask.batch)} + qr * ${stride(a.mask.row)}; let m_step = ${stride(a.mask.col)};`);
  }
  return {
    head: [
      'let NEG_INF = f32_bits(0xff800000u);', `let Lq = ${w.dims.dim(a.lq)}; let Lk = ${w.dims.dim(a.lk)};`, ...w.coords('wg.z', a.batch, 'z'),
      `let QS = ${stride(a.q.row)}; let KS = ${stride(a.k.row)}; let VS = ${stride(a.v.row)}; let OS = ${stride(a.out.row)};`,
    ],
    rows,
    adjust: [
      k.mask !== undefined ? `sc = sc + ${w.load(k.mask, 'm_base + j * m_step')};` : '',
      k.causal ? 'if (j > qi) { sc = NEG_INF; }' : '',
    ],
    grid: (per: number): KernelProgram['grid'] => ({ kind: 'xyz', axes: [{ dims: [a.lq], per }, { dims: [], per: 1 }, { dims: a.batch, per: 1 }] }),
  };
}

/** The kernel program of an attention kernel's code. */
function program(w: KernelWriter, k: AttentionKernel, code: string, grid: KernelProgram['grid']): KernelProgram {
  return { label: k.label, wgsl: w.module(k.label, code), bindings: w.specs(), grid };
}

export function attentionKernel(w: KernelWriter, k: AttentionKernel): KernelProgram {
  const headDim = w.shape(k.q).at(-1)!, valueDim = w.shape(k.v).at(-1)!;
  if (typeof headDim !== 'number' || typeof valueDim !== 'number') return runtimeHeadAttention(w, k);
  const D = headDim, DV = valueDim;
  if (w.target.subgroupSize && D % 4 === 0 && DV % 4 === 0) return subgroupAttention(w, k, D, DV);
  const D4 = Math.ceil(D / 4), DV4 = Math.ceil(DV / 4);
  const tk = Math.min(MAX_TK, Math.floor(w.target.maxComputeWorkgroupStorageSize / ((D4 + DV4) * 16)));
  if (tk < 1) {
    throw new Error(`attention "${k.label}": maxComputeWorkgroupStorageSize needed ${(D4 + DV4) * 16} bytes for one key, available ${w.target.maxComputeWorkgroupStorageSize}`);
  }
  const f = attentionFrame(w, k, [D % 4 === 0, D % 4 === 0, DV % 4 === 0]);
  const code = `var<workgroup> Ks: array<vec4<f32>, ${tk * D4}>;
var<workgroup> Vs: array<vec4<f32>, ${tk * DV4}>;
@compute @workgroup_size(${WQ})
fn main(${BUILTINS}) {
  ${f.head.join('\n  ')}
  let qi = wg.x * ${WQ}u + li;
  let valid = qi < Lq;
  ${f.rows.join('\n  ')}
  var q: array<vec4<f32>, ${D4}>;
  for (var d = 0u; d < ${D4}u; d++) { q[d] = ${rowVec4(w, k.q, 'qOff', 'd', D)}; }
  var acc: array<vec4<f32>, ${DV4}>;
  var m = NEG_INF;
  var l = 0.0f;
  var poisoned = false;
  for (var t0 = 0u; t0 < Lk; t0 += ${tk}u) {
    for (var e = li; e < ${tk * D4}u; e += ${WQ}u) {
      let key = min(t0 + e / ${D4}u, Lk - 1u);
      Ks[e] = ${rowVec4(w, k.k, 'kOff + key * KS', `(e % ${D4}u)`, D)};
    }
    for (var e = li; e < ${tk * DV4}u; e += ${WQ}u) {
      let key = min(t0 + e / ${DV4}u, Lk - 1u);
      Vs[e] = ${rowVec4(w, k.v, 'vOff + key * VS', `(e % ${DV4}u)`, DV)};
    }
    workgroupBarrier();
    if (valid) {
      var s: array<f32, ${tk}>;
      var tmax = NEG_INF;
      for (var jj = 0u; jj < ${w.dims.opaque(tk)}; jj++) {
        let j = t0 + jj;
        var sc = NEG_INF;
        if (j < Lk) {
          var qk = 0.0f;
          for (var d = 0u; d < ${w.dims.opaque(D4)}; d++) { qk += dot(q[d], Ks[jj * ${D4}u + d]); }
          sc = qk * ${f32Literal(k.scale)};
          ${f.adjust.join(' ')}
          poisoned = poisoned || is_nan(sc);
        }
        s[jj] = sc;
        tmax = max(tmax, sc);
      }
      let mNew = max(m, tmax);
      // While every key so far is masked (mNew = -inf), p is 0 but 0 · v is still added: NaN or inf
      // in a masked key's value reaches the row, as in the reference's p @ v.
      let live = mNew != NEG_INF;
      let corr = select(1.0f, exp(m - mNew), live);
      l = l * corr;
      for (var d = 0u; d < ${DV4}u; d++) { acc[d] = acc[d] * corr; }
      // Keys past Lk hold a clamped copy of the last key: they add nothing (0 · inf would be NaN).
      for (var jj = 0u; jj < min(${w.dims.opaque(tk)}, Lk - t0); jj++) {
        let p = select(0.0f, exp(s[jj] - mNew), live);
        l += p;
        for (var d = 0u; d < ${w.dims.opaque(DV4)}; d++) { acc[d] += p * Vs[jj * ${DV4}u + d]; }
      }
      m = mNew;
    }
    workgroupBarrier();
  }
  if (!valid) { return; }
  let oBase = oOff + qi * OS;
  for (var d = 0u; d < ${DV}u; d++) {
    let val = select(acc[d / 4u][d % 4u] / l, nan_f32(), l == 0.0f || poisoned);
    ${w.store(k.out, 'oBase + d', 'val')}
  }
}`;
  return program(w, k, code, f.grid(WQ));
}

/**
 * Attention on CPU adapters with subgroups (CodegenTarget.subgroupSize = S): one subgroup per
 * workgroup, one query row per lane (q and the output accumulator in registers), keys one at a
 * time in online softmax. The K and V rows every lane needs are loaded once per subgroup — lane l
 * loads vec4s l, l + S, … — and shared with subgroupBroadcast, instead of once per lane or staged
 * through workgroup memory behind barriers. Control flow stays uniform (subgroup builtins need it):
 * queries past the end are clamped and only their stores skipped, and the online softmax is
 * branch-free (a row whose keys so far are all masked keeps m = -inf, l = 0).
 */
function subgroupAttention(w: KernelWriter, k: AttentionKernel, D: number, DV: number): KernelProgram {
  const S = w.target.subgroupSize!;
  const f = attentionFrame(w, k, [true, true, true]);
  w.useSubgroups();
  const vec4 = w.isVec4(k.q) && w.isVec4(k.k) && w.isVec4(k.v);
  const D4 = D / 4, DV4 = DV / 4;
  // vec4 e of a row starting at element `base` (a multiple of 4 when bound as vec4s).
  const row4 = (id: number, base: string, e: string) => (vec4 ? w.load4(id, `${base} + (${e}) * 4u`)
    : `vec4<f32>(${[0, 1, 2, 3].map((t) => w.load(id, `${base} + (${e}) * 4u + ${t}u`)).join(', ')})`);
  const parts = (n4: number) => [...Array(Math.ceil(n4 / S)).keys()];
  const I = (n: number) => [...Array(n).keys()];
  const coop = (name: string, id: number, base: string, n4: number) => [
    ...parts(n4).map((p) => `let ${name}p${p} = ${row4(id, base, `min(${p * S}u + sid, ${n4 - 1}u)`)};`),
    ...I(n4).map((d) => `let ${name}${d} = subgroupBroadcast(${name}p${Math.floor(d / S)}, ${d % S}u);`),
  ];
  const score = [
    `var sc = (${I(D4).map((d) => `dot(q${d}, kb${d})`).join(' + ')}) * ${f32Literal(k.scale)};`,
    ...f.adjust,
  ].filter(Boolean);
  const code = `@compute @workgroup_size(${S})
fn main(${BUILTINS}, @builtin(subgroup_invocation_id) sid: u32) {
  ${f.head.join('\n  ')}
  let qi = wg.x * ${S}u + sid;
  ${f.rows.join('\n  ')}
  ${I(D4).map((d) => `let q${d} = ${row4(k.q, 'qOff', `${d}u`)};`).join('\n  ')}
  ${I(DV4).map((d) => `var acc${d} = vec4<f32>();`).join(' ')}
  var m = NEG_INF;
  var l = 0.0f;
  var poisoned = false;
  for (var j = 0u; j < Lk; j++) {
    ${coop('kb', k.k, 'kOff + j * KS', D4).join('\n    ')}
    ${coop('vb', k.v, 'vOff + j * VS', DV4).join('\n    ')}
    ${score.join('\n    ')}
    poisoned = poisoned || is_nan(sc);
    let mNew = max(m, sc);
    let live = mNew != NEG_INF;
    let corr = select(1.0f, exp(m - mNew), live);
    let p = select(0.0f, exp(sc - mNew), live);
    l = l * corr + p;
    ${I(DV4).map((d) => `acc${d} = acc${d} * corr + p * vb${d};`).join('\n    ')}
    m = mNew;
  }
  if (qi < Lq) {
    let oBase = oOff + qi * OS;
    let dead = l == 0.0f || poisoned;
    ${I(DV).map((d) => w.store(k.out, `oBase + ${d}u`, `select(acc${d >> 2}.${'xyzw'[d & 3]} / l, nan_f32(), dead)`)).join('\n    ')}
  }
}`;
  return program(w, k, code, f.grid(S));
}

/** Output columns a runtime-head-size invocation accumulates per pass over the keys. */
const RUNTIME_DV_CHUNK = 8;

/**
 * Attention whose head or value size is known only at run time (a symbol: the fusion never makes
 * one, a graph may hold one). No register tiles: one invocation per query row takes the row max and
 * the sum in two passes over the keys, then accumulates RUNTIME_DV_CHUNK output columns per further
 * pass, recomputing each score (O(Lk · D) per pass). Correct everywhere, fast nowhere; the softmax
 * is the reference's (max, exp, sum, divide), so all-masked rows are NaN and 0 · inf is NaN as there.
 */
function runtimeHeadAttention(w: KernelWriter, k: AttentionKernel): KernelProgram {
  const f = attentionFrame(w, k, [false, false, false]);
  const C = RUNTIME_DV_CHUNK;
  const score = [
    'var qk = 0.0f;',
    `for (var d = 0u; d < D; d++) { qk += ${w.load(k.q, 'qOff + d')} * ${w.load(k.k, 'kOff + j * KS + d')}; }`,
    `var sc = qk * ${f32Literal(k.scale)};`,
    ...f.adjust,
  ].filter(Boolean).join(' ');
  const code = `@compute @workgroup_size(${WQ})
fn main(${BUILTINS}) {
  ${f.head.join('\n  ')}
  let D = ${w.dims.dim(w.shape(k.q).at(-1)!)}; let DV = ${w.dims.dim(w.shape(k.v).at(-1)!)};
  let qi = wg.x * ${WQ}u + li;
  if (qi >= Lq) { return; }
  ${f.rows.join('\n  ')}
  var m = NEG_INF;
  var poisoned = false;
  for (var j = 0u; j < Lk; j++) { ${score} m = max(m, sc); poisoned = poisoned || is_nan(sc); }
  var l = 0.0f;
  for (var j = 0u; j < Lk; j++) { ${score} l += exp(sc - m); }
  let oBase = oOff + qi * OS;
  for (var d0 = 0u; d0 < DV; d0 += ${C}u) {
    var acc = array<f32, ${C}>();
    for (var j = 0u; j < Lk; j++) {
      ${score}
      let p = exp(sc - m) / l;
      for (var t = 0u; t < min(${C}u, DV - d0); t++) { acc[t] += p * ${w.load(k.v, 'vOff + j * VS + d0 + t')}; }
    }
    for (var t = 0u; t < min(${C}u, DV - d0); t++) { ${w.store(k.out, 'oBase + d0 + t', 'select(acc[t], nan_f32(), poisoned)')} }
  }
}`;
  return program(w, k, code, f.grid(WQ));
}
