// Matmul kernels with a fused epilogue: out = epilogue(a @ b, extras…) with batch broadcast and
// transpose flags. Four templates share the index math and the epilogue: `registers` (each
// invocation keeps a REGISTER_TILE in registers and reads A and B straight from memory, with vec4
// loads where the layout allows: along K for A and for a transposed B, along N for a plain B),
// `workgroup` (a 64×64 tile per workgroup staged through workgroup memory in K steps of 16), and on
// CPU adapters with fixed-size subgroups `subgroup` (rows of A shared with subgroupBroadcast) and
// `gemv` (one row, lanes splitting K, summed with subgroupAdd: a decoding step's row vector).
// When B has no batch dims the batch folds into M, so a Linear over [batch, seq, d] is one GEMM.
// Under precision 'f16' the registers and workgroup templates form products in vec4<f16> and accumulate in f32 (precision.ts).

import type { Dim, Expr } from '@smelt/ir';
import { type KernelWriter, BUILTINS } from '../kernel-writer.ts';
import type { KernelProgram } from '../program.ts';
import { renderExpr } from '../wgsl-expr.ts';

export type MatmulVariant = 'registers' | 'workgroup' | 'subgroup' | 'gemv';

export interface MatmulKernel {
  readonly label: string; readonly a: number; readonly b: number; readonly out: number;
  readonly transA: boolean; readonly transB: boolean; readonly epilogue: Expr; readonly extras: readonly number[];
}

interface Geometry {
  /** Output rows as a product of dims (A's batch dims folded in when B has none). */
  readonly M: readonly Dim[]; readonly N: Dim; readonly K: Dim;
  /** Out batch dims that stay a batch (empty when folded into M). */
  readonly batch: readonly Dim[];
  readonly aBatch: readonly Dim[]; readonly bBatch: readonly Dim[];
}

function geometry(w: KernelWriter, k: MatmulKernel): Geometry {
  const sa = w.shape(k.a);
  const sb = w.shape(k.b);
  const [m, ka] = k.transA ? [sa.at(-1)!, sa.at(-2)!] : [sa.at(-2)!, sa.at(-1)!];
  const n = k.transB ? sb.at(-2)! : sb.at(-1)!;
  const aBatch = sa.slice(0, -2);
  const bBatch = sb.slice(0, -2);
  if (!k.transA && bBatch.every((d) => d === 1)) return { M: [...aBatch, m], N: n, K: ka, batch: [], aBatch: [], bBatch: [] };
  return { M: [m], N: n, K: ka, batch: w.shape(k.out).slice(0, -2), aBatch, bBatch };
}

/** WGSL of the epilogue function: fn epilogue(acc, o (flat out index), c (column)) -> f32. */
function epilogueFn(w: KernelWriter, k: MatmulKernel, N: Dim): string {
  const outShape = w.shape(k.out);
  const lines: string[] = [];
  const needCoords = k.extras.some((id) => !isSameShape(w.shape(id), outShape) && !isColumnVector(w.shape(id), N));
  if (needCoords) lines.push(...w.coords('o', outShape, 'q'));
  const operands = [{ value: 'acc', dtype: 'f32' as const }, ...k.extras.map((id, i) => {
    const s = w.shape(id);
    const index = isSameShape(s, outShape) ? 'o' : isColumnVector(s, N) ? 'c' : w.broadcastIndex(s, outShape, 'q');
    lines.push(`let x${i} = ${w.load(id, index)};`);
    return { value: `x${i}`, dtype: 'f32' as const };
  })];
  const body = renderExpr(k.epilogue, operands);
  return `fn epilogue(acc: f32, o: u32, c: u32) -> f32 {\n  ${[...lines, ...body.lines, `return ${body.value};`].join('\n  ')}\n}`;
}

/** The vec4 type products are formed in: vec4<f16> under precision f16, else vec4<f32>. */
const computeVec = (w: KernelWriter) => (w.f16 ? 'vec4<f16>' : 'vec4<f32>');

/** A vec4 expression whose scalar is `from`, as the compute vec4 (saturating into f16). */
function asCompute(w: KernelWriter, v: string, from: 'f32' | 'f16'): string {
  if (w.f16) return from === 'f16' ? v : `to_f16x4(${v})`;
  return from === 'f16' ? `vec4<f32>(${v})` : v;
}

/** A compute-vec4 sum as the vec4<f32> it is accumulated into. */
const widen = (w: KernelWriter, v: string) => (w.f16 ? `vec4<f32>(${v})` : v);

const isSameShape = (s: readonly Dim[], o: readonly Dim[]) => s.length === o.length && s.every((d, i) => d === o[i]);
const isColumnVector = (s: readonly Dim[], n: Dim) => s.length >= 1 && s.at(-1) === n && s.slice(0, -1).every((d) => d === 1);

export function matmulKernel(w: KernelWriter, k: MatmulKernel, requested: MatmulVariant): KernelProgram {
  // The subgroup and gemv templates need a target with a fixed subgroup size, and compute in f32 only.
  const variant = (requested === 'subgroup' || requested === 'gemv') && (!w.target.subgroupSize || w.f16) ? 'registers' : requested;
  const g = geometry(w, k);
  const kNum = typeof g.K === 'number' ? g.K : 0;
  const nNum = typeof g.N === 'number' ? g.N : 0;
  const regs = variant === 'registers';
  const sg = variant === 'subgroup';
  const gemv = variant === 'gemv';
  const aVec = regs && !k.transA && kNum % 4 === 0 && kNum > 0;
  const bVec = (regs && (k.transB ? kNum % 4 === 0 && kNum > 0 : nNum % 4 === 0 && nNum > 0)) || (sg && k.transB && kNum % 4 === 0 && kNum > 0);
  w.bind(k.a, 'read', aVec);
  w.bind(k.b, 'read', bVec);
  for (const e of k.extras) w.bind(e, 'read');
  w.bind(k.out, 'read_write');
  if (w.f16) w.useF16();
  if (sg || gemv) w.useSubgroups();
  const M = w.dims.product(g.M), N = w.dims.dim(g.N), K = typeof g.K === 'number' ? w.dims.opaque(g.K) : w.dims.dim(g.K);
  const aOff = g.batch.length ? `(${w.broadcastIndex(g.aBatch, g.batch, 'z')}) * ${M} * ${K}` : '0u';
  const bOff = g.batch.length ? `(${w.broadcastIndex(g.bBatch, g.batch, 'z')}) * ${K} * ${N}` : '0u';
  const A = (r: string, kk: string) => w.load(k.a, `aOff + ${k.transA ? `(${kk}) * M + ${r}` : `${r} * K + ${kk}`}`);
  const B = (kk: string, c: string) => w.load(k.b, `bOff + ${k.transB ? `${c} * K + ${kk}` : `(${kk}) * N + ${c}`}`);
  const head = [
    `let M = ${M}; let N = ${N}; let K = ${K};`,
    ...w.coords('wg.z', g.batch, 'z'),
    `let aOff = ${aOff}; let bOff = ${bOff}; let oOff = wg.z * M * N;`,
  ].join('\n  ');
  const S = w.target.subgroupSize ?? 0;
  const body = regs
    ? registerBody(w, k, A, B, aVec && w.isVec4(k.a), bVec && w.isVec4(k.b))
    : sg ? subgroupBody(w, k, A, B, bVec && w.isVec4(k.b)) : gemv ? gemvBody(w, k, A, B) : workgroupBody(w, k, A, B);
  const tile = regs ? [REGISTER_TILE.wg * REGISTER_TILE.cols, REGISTER_TILE.wg * REGISTER_TILE.rows]
    : sg ? [S * SUBGROUP_TILE.cols, SUBGROUP_TILE.rows * SUBGROUP_TILE.wy]
    : gemv ? [GEMV_TILE.cols * GEMV_TILE.wy, 1] : [64, 64];
  const wgSize = regs ? `${REGISTER_TILE.wg}, ${REGISTER_TILE.wg}` : sg ? `${S}, ${SUBGROUP_TILE.wy}` : gemv ? `${S}, ${GEMV_TILE.wy}` : '16, 16';
  const code = `${epilogueFn(w, k, g.N)}
${regs || sg || gemv ? '' : `var<workgroup> As: array<${computeVec(w)}, 256>;\nvar<workgroup> Bs: array<${computeVec(w)}, 256>;`}
@compute @workgroup_size(${wgSize})
fn main(${BUILTINS}${sg || gemv ? ', @builtin(subgroup_invocation_id) sid: u32' : ''}) {
  ${head}
  ${body}
}`;
  return {
    label: k.label,
    wgsl: w.module(k.label, code),
    bindings: w.specs(),
    grid: { kind: 'xyz', axes: [{ dims: [g.N], per: tile[0] }, { dims: g.M, per: tile[1] }, { dims: g.batch, per: 1 }] },
  };
}

type Loader = (x: string, y: string) => string;

/**
 * Rows × columns of one invocation's register tile (columns a multiple of 4) and the workgroup side.
 * On lavapipe 8×8 tiles ran ~15% faster on W-small but cost ~30 s of JIT per kernel; 4×4 costs ~1 s.
 */
const REGISTER_TILE = { rows: 4, cols: 4, wg: 8 } as const;

/** Register tiling: TM×TN outputs per invocation, K in steps of 4 (vec4 loads where allowed), scalar K tail. */
function registerBody(w: KernelWriter, k: MatmulKernel, A: Loader, B: Loader, aVec: boolean, bVec: boolean): string {
  const { rows: TM, cols: TN, wg: WG } = REGISTER_TILE;
  const Q = TN / 4;
  const I = [...Array(TM).keys()], J = [...Array(TN).keys()], QS = [...Array(Q).keys()], T = [0, 1, 2, 3];
  const V = computeVec(w);
  const aRow = (i: number) => (aVec
    ? asCompute(w, w.load4(k.a, `aOff + ra${i} * K + k`), w.vec4Type(k.a))
    : asCompute(w, `vec4<f32>(${T.map((t) => A(`ra${i}`, `k + ${t}u`)).join(', ')})`, 'f32'));
  let bRows: string[];
  if (bVec && k.transB) {
    bRows = J.map((j) => `let w${j} = ${asCompute(w, w.load4(k.b, `bOff + cb${j} * K + k`), w.vec4Type(k.b))};`);
    for (const q of QS) bRows.push(...T.map((t) => `let bk${t}_${q} = ${V}(${T.map((x) => `w${4 * q + x}[${t}]`).join(', ')});`));
  } else if (bVec) {
    bRows = QS.flatMap((q) => T.map((t) => `let bk${t}_${q} = ${asCompute(w, w.load4(k.b, `bOff + (k + ${t}u) * N + c0 + ${4 * q}u`), w.vec4Type(k.b))};`));
  } else {
    bRows = QS.flatMap((q) => T.map((t) => `let bk${t}_${q} = ${asCompute(w, `vec4<f32>(${T.map((x) => B(`k + ${t}u`, `cb${4 * q + x}`)).join(', ')})`, 'f32')};`));
  }
  const fma = I.flatMap((i) => [
    `let a${i} = ${aRow(i)};`,
    ...QS.map((q) => `acc[${i * Q + q}] += ${widen(w, `a${i}.x * bk0_${q} + a${i}.y * bk1_${q} + a${i}.z * bk2_${q} + a${i}.w * bk3_${q}`)};`),
  ]);
  const tail = [
    ...QS.map((q) => `let bt${q} = vec4<f32>(${T.map((x) => B('k', `cb${4 * q + x}`)).join(', ')});`),
    ...I.map((i) => `let at${i} = ${A(`ra${i}`, 'k')};`),
    ...I.flatMap((i) => QS.map((q) => `acc[${i * Q + q}] += at${i} * bt${q};`)),
  ];
  return `let r0 = (wg.y * ${WG}u + lid.y) * ${TM}u; let c0 = (wg.x * ${WG}u + lid.x) * ${TN}u;
  var acc: array<vec4<f32>, ${TM * Q}>;
  if (r0 >= M || c0 >= N) { return; }
  ${I.map((i) => `let ra${i} = min(r0 + ${i}u, M - 1u);`).join(' ')}
  ${J.map((j) => `let cb${j} = min(c0 + ${j}u, N - 1u);`).join(' ')}
  var k = 0u;
  for (; k + 4u <= K; k += 4u) {
    ${[...bRows, ...fma].join('\n    ')}
  }
  for (; k < K; k++) {
    ${tail.join('\n    ')}
  }
  for (var i = 0u; i < ${TM}u; i++) {
    for (var j = 0u; j < ${TN}u; j++) {
      let r = r0 + i; let c = c0 + j;
      if (r < M && c < N) { let o = oOff + r * N + c; ${w.store(k.out, 'o', `epilogue(acc[i * ${Q}u + j / 4u][j % 4u], o, c)`)} }
    }
  }`;
}

/**
 * Per subgroup (S lanes, see CodegenTarget.subgroupSize): `rows` rows × S·`cols` columns; lane l
 * owns columns c0 + l + S·j. Per K step of S, lane l loads A[r, k + l] for each row (A is loaded
 * once per subgroup rather than once per lane) and its own columns of B (vec4s along K where B is
 * transposed), then each A value is broadcast from its lane. No early return: subgroup builtins
 * need uniform control flow, so rows and columns past the end are clamped and only stores are masked.
 */
const SUBGROUP_TILE = { rows: 16, cols: 2, wy: 2 } as const;

function subgroupBody(w: KernelWriter, k: MatmulKernel, A: Loader, B: Loader, bVec: boolean): string {
  const S = w.target.subgroupSize!;
  const { rows: R, cols: TN, wy: WY } = SUBGROUP_TILE;
  const I = [...Array(R).keys()], J = [...Array(TN).keys()], L = [...Array(S).keys()];
  const bElem = (j: number, t: number) => (bVec ? `w${j}_${t >> 2}.${'xyzw'[t & 3]}` : `w${j}_${t}`);
  const bLoads = bVec
    ? J.flatMap((j) => [...Array(S / 4).keys()].map((v) => `let w${j}_${v} = ${w.load4(k.b, `bOff + cb${j} * K + k + ${4 * v}u`)};`))
    : J.flatMap((j) => L.map((t) => `let w${j}_${t} = ${B(`k + ${t}u`, `cb${j}`)};`));
  const step = [
    ...I.map((i) => `let a${i} = ${A(`ra${i}`, 'k + sid')};`),
    ...bLoads,
    ...L.flatMap((t) => [
      ...I.map((i) => `let s${i}_${t} = subgroupBroadcast(a${i}, ${t}u);`),
      ...I.flatMap((i) => J.map((j) => `acc${i}_${j} += s${i}_${t} * ${bElem(j, t)};`)),
    ]),
  ];
  const tail = [
    ...J.map((j) => `let bt${j} = ${B('k', `cb${j}`)};`),
    ...I.map((i) => `let at${i} = ${A(`ra${i}`, 'k')};`),
    ...I.flatMap((i) => J.map((j) => `acc${i}_${j} += at${i} * bt${j};`)),
  ];
  const stores = I.flatMap((i) => J.map((j) => {
    const c = `c0 + ${j * S}u`;
    return `if (r0 + ${i}u < M && ${c} < N) { let o = oOff + (r0 + ${i}u) * N + ${c}; ${w.store(k.out, 'o', `epilogue(acc${i}_${j}, o, ${c})`)} }`;
  }));
  return `let r0 = (wg.y * ${WY}u + lid.y) * ${R}u; let c0 = wg.x * ${S * TN}u + sid;
  ${I.map((i) => `let ra${i} = min(r0 + ${i}u, M - 1u);`).join(' ')}
  ${J.map((j) => `let cb${j} = min(c0 + ${j * S}u, N - 1u);`).join(' ')}
  ${I.flatMap((i) => J.map((j) => `var acc${i}_${j} = 0.0f;`)).join(' ')}
  var k = 0u;
  for (; k + ${S}u <= K; k += ${S}u) {
    ${step.join('\n    ')}
  }
  for (; k < K; k++) {
    ${tail.join('\n    ')}
  }
  ${stores.join('\n  ')}`;
}

/**
 * One output row per workgroup row (for M = 1, a decoding step's matmuls): each subgroup owns
 * `cols` consecutive columns and its S lanes split K (lane l takes k ≡ l mod S, so lanes read
 * consecutive elements of A's row and of B's rows where B is transposed), unrolled `unroll` deep;
 * subgroupAdd sums the lanes' partials. The K loop is uniform (subgroupAdd needs uniform control
 * flow): a partial last step clamps its reads and zeroes A past K.
 */
const GEMV_TILE = { cols: 4, wy: 4, unroll: 4 } as const;

function gemvBody(w: KernelWriter, k: MatmulKernel, A: Loader, B: Loader): string {
  const S = w.target.subgroupSize!;
  const { cols: TN, unroll: U } = GEMV_TILE;
  const J = [...Array(TN).keys()], Us = [...Array(U).keys()];
  const step = Us.flatMap((u) => [
    `let a${u} = ${A('r', `k + ${u * S}u + sid`)};`,
    ...J.map((j) => `acc${j} += a${u} * ${B(`k + ${u * S}u + sid`, `cb${j}`)};`),
  ]);
  const tail = [
    'let kk = min(k + sid, K - 1u);',
    `let at = select(0.0f, ${A('r', 'kk')}, k + sid < K);`,
    ...J.map((j) => `acc${j} += at * ${B('kk', `cb${j}`)};`),
  ];
  const stores = J.map((j) => `let s${j} = subgroupAdd(acc${j});
  if (sid == 0u && wg.y < M && c0 + ${j}u < N) { let o = oOff + r * N + c0 + ${j}u; ${w.store(k.out, 'o', `epilogue(s${j}, o, c0 + ${j}u)`)} }`);
  return `let r = min(wg.y, M - 1u); let c0 = (wg.x * ${GEMV_TILE.wy}u + lid.y) * ${TN}u;
  ${J.map((j) => `let cb${j} = min(c0 + ${j}u, N - 1u);`).join(' ')}
  ${J.map((j) => `var acc${j} = 0.0f;`).join(' ')}
  var k = 0u;
  for (; k + ${U * S}u <= K; k += ${U * S}u) {
    ${step.join('\n    ')}
  }
  for (; k < K; k += ${S}u) {
    ${tail.join('\n    ')}
  }
  ${stores.join('\n  ')}`;
}

/** Workgroup-memory tiling: 64×64 outputs per workgroup, A and B tiles staged 16 deep in K. */
function workgroupBody(w: KernelWriter, k: MatmulKernel, A: Loader, B: Loader): string {
  const guarded = (load: string, cond: string) => `select(0.0f, ${load}, ${cond})`;
  const aLoads = [0, 1, 2, 3].map((t) => guarded(A(`min(sr + ${t}u, M - 1u)`, 'min(sk, K - 1u)'), `sr + ${t}u < M && sk < K`));
  const bLoads = [0, 1, 2, 3].map((t) => guarded(B('min(sk, K - 1u)', `min(sc + ${t}u, N - 1u)`), `sc + ${t}u < N && sk < K`));
  return `let r0 = (wg.y * 16u + lid.y) * 4u; let c0 = (wg.x * 16u + lid.x) * 4u;
  var acc: array<vec4<f32>, 4>;
  let part = li % 16u; let depth = li / 16u;
  let sr = wg.y * 64u + part * 4u; let sc = wg.x * 64u + part * 4u;
  for (var kt = 0u; kt < K; kt += 16u) {
    let sk = kt + depth;
    As[li] = ${asCompute(w, `vec4<f32>(${aLoads.join(', ')})`, 'f32')};
    Bs[li] = ${asCompute(w, `vec4<f32>(${bLoads.join(', ')})`, 'f32')};
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let a = As[kk * 16u + lid.y]; let b = Bs[kk * 16u + lid.x];
      ${[0, 1, 2, 3].map((i) => `acc[${i}] += ${widen(w, `a.${'xyzw'[i]} * b`)};`).join(' ')}
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let r = r0 + i; let c = c0 + j;
      if (r < M && c < N) { let o = oOff + r * N + c; ${w.store(k.out, 'o', 'epilogue(acc[i][j], o, c)')} }
    }
  }`;
}

/**
 * The default variant: on a GPU, workgroup tiles once M, N and K each fill a 64-wide tile. On a CPU,
 * gemv for a row vector times a matrix (the matrix's row dim is 1, as in a decoding step, with fewer
 * than 16 fixed rows of batch), else subgroups where it has them, else registers.
 */
export function chooseMatmulVariant(w: KernelWriter, k: MatmulKernel): MatmulVariant {
  const g = geometry(w, k);
  if (!w.target.workgroupTiles) {
    if (!w.target.subgroupSize || w.f16) return 'registers';
    const fixedRows = g.M.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);
    return g.M.at(-1) === 1 && fixedRows < SUBGROUP_TILE.rows ? 'gemv' : 'subgroup';
  }
  const big = (ds: readonly Dim[]) => ds.some((d) => typeof d !== 'number') || ds.reduce<number>((p, d) => p * (d as number), 1) >= 64;
  return big(g.M) && big([g.N]) && big([g.K]) ? 'workgroup' : 'registers';
}
