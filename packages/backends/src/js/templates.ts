// Generated kernel functions of the JS backend: the elementwise loop and the register-tiled GEMM,
// each with an expression of the kernel plan (elementwise body, matmul epilogue) rendered inline by
// the JS renderer. One generator per template serves every kernel of its kind; identical functions
// are emitted once (templates are keyed by their text).

import type { DType, Expr } from '@smelt/ir';
import { printExpr } from '@smelt/ir';
import { ARRAY_TYPE } from '../render/aot-types.ts';
import { block, commentText } from '../render/source-text.ts';
import { renderJs } from './expr-js.ts';
import { typeOnly } from './typed-source.ts';
import { GEMM_MR, GEMM_NR, GEMM_UNROLL } from './runtime/gemm.ts';

/** A generated function before it has a name: its doc line, parameters and body lines. */
export interface TemplateFn {
  /** What it computes, the stem of its generated name. */
  readonly family: 'elementwise' | 'gemm' | 'row';
  readonly doc: string;
  readonly params: readonly { readonly name: string; readonly type: string }[];
  readonly body: readonly string[];
}

export { ARRAY_TYPE };

function usedOperands(e: Expr, into = new Set<number>()): Set<number> {
  if (e.k === 'in') into.add(e.i);
  if (e.k === 'op') e.args.forEach((a) => usedOperands(a, into));
  return into;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** An operand of an elementwise kernel: its dtype, and whether it has the output's exact shape. */
export interface ElementwiseOperand {
  readonly dtype: DType;
  readonly full: boolean;
}

/** out[k] = expr(operands read at k, with broadcasting) for every element. */
export function elementwiseTemplate(expr: Expr, out: DType, operands: readonly ElementwiseOperand[]): TemplateFn {
  const used = [...usedOperands(expr)].sort((a, b) => a - b);
  const broadcast = used.filter((i) => !operands[i].full);
  const value = renderJs(expr, operands.map((o, i) => ({ code: `a${i}`, dtype: o.dtype })));
  const read = (at: (i: number) => string) => used.length ? [`const ${used.map((i) => `a${i} = x${i}[${at(i)}]`).join(', ')};`] : [];
  const store = `out[k] = ${value};`;
  const loop = broadcast.length === 0
    ? block('for (let k = 0; k < n; k++)', [...read(() => 'k'), store])
    : block('for (let r = 0, k = 0; r < rows; r++)', [
      `const ${broadcast.map((i) => `o${i} = r${i}[r]`).join(', ')};`,
      ...block('for (let j = 0; j < width; j++, k++)', [...read((i) => (operands[i].full ? 'k' : `o${i} + j * c${i}`)), store]),
    ]);
  return {
    family: 'elementwise',
    doc: `${commentText(printExpr(expr))}: (${operands.map((o) => o.dtype).join(', ')}) → ${out}`,
    params: [
      { name: 'g', type: 'ElementwiseGeometry' }, { name: 'out', type: ARRAY_TYPE[out] },
      ...operands.map((o, i) => ({ name: `x${i}`, type: ARRAY_TYPE[o.dtype] })),
    ],
    body: [
      'const { n, rows, width } = g;',
      ...broadcast.map((i) => `const r${i} = g.rowsOf[${i}]${typeOnly('!')}, c${i} = g.cols[${i}];`),
      ...loop,
    ],
  };
}

const tileNames = (f: (r: number, c: number) => string) => range(GEMM_MR).flatMap((r) => range(GEMM_NR).map((c) => f(r, c)));

/** An index `base + off`; `| 0` keeps V8 from checking the add for overflow (the bounds check stays). */
const at = (base: string, off: number) => (off ? `(${base} + ${off}) | 0` : base);

/** One depth step of the micro-kernel at `off` past the A index u and the B index v: GEMM_NR values of B, each row's value of A. */
function depthStep(off: number): string[] {
  return [
    `const ${range(GEMM_NR).map((c) => `b${c} = p[${at('v', off + c)}]`).join(', ')};`,
    ...range(GEMM_MR).flatMap((r) => [
      `const a${r} = aPanel[${at('u', off + r)}];`,
      range(GEMM_NR).map((c) => `c${r}_${c} += a${r} * b${c};`).join(' '),
    ]),
  ];
}

/**
 * The micro-kernel: GEMM_MR × GEMM_NR accumulators over the depth, B from its panel (index v, from
 * the panel's start bo) and A from its interleaved panel (index u, from 0) in step (the tile is
 * square); GEMM_UNROLL steps per iteration, then the rest one by one. Each accumulator still sums
 * the depth in order.
 */
function microKernel(): string[] {
  if (GEMM_MR !== GEMM_NR) throw new Error('the GEMM micro-kernel indexes A and B panels alike: GEMM_MR must equal GEMM_NR');
  const stride = GEMM_UNROLL * GEMM_NR;
  return [
    `let ${tileNames((r, c) => `c${r}_${c} = 0`).join(', ')}, u = 0, v = bo;`,
    ...block(`for (; u <= depth - ${stride}; u += ${stride}, v += ${stride})`, range(GEMM_UNROLL).flatMap((i) => ['{', ...depthStep(i * GEMM_NR).map((l) => `  ${l}`), '}'])),
    ...block(`for (; u < depth; u += ${GEMM_NR}, v += ${GEMM_NR})`, depthStep(0)),
    tileNames((r, c) => `tile[${r * GEMM_NR + c}] = c${r}_${c};`).join(' '),
  ];
}

/** out = epilogue(A @ B, extras…) with B packed in panels (p: all panels in one array); $0 is the dot product rounded to f32. */
export function gemmTemplate(epilogue: Expr, extras: readonly DType[]): TemplateFn {
  const ids = range(extras.length).map((i) => i + 1);
  const value = renderJs(epilogue, [{ code: 'v0', dtype: 'f32' }, ...extras.map((d, i) => ({ code: `v${i + 1}`, dtype: d }))]);
  const reads = [`const v0 = Math.fround(tile[r * ${GEMM_NR} + c])`, ...ids.map((i) => `v${i} = e${i}[o${i} + c * ec${i}]`)];
  const store = block('for (let r = 0; r < rows; r++)', [
    `const row = r0 + r, o = row * n + j0${ids.map((i) => `, o${i} = er${i}[row] + j0 * ec${i}`).join('')};`,
    ...block('for (let c = 0; c < cols; c++)', [`${reads.join(', ')};`, `out[o + c] = ${value};`]),
  ]);
  const packA = block(`for (let i0 = ib, ip = 0; i0 < ie; i0 += ${GEMM_MR}, ip++)`, [
    `const aPanel = aPanels[ip], rows = Math.min(${GEMM_MR}, ie - i0);`,
    ...block(`for (let r = 0; r < ${GEMM_MR}; r++)`, [
      'const src = aRows[bi * m + i0 + Math.min(r, rows - 1)];',
      `for (let q = 0, u = r; q < k; q++, u += ${GEMM_MR}) aPanel[u] = a[src + q * aStep];`,
    ]),
  ]);
  const tiles = block(`for (let i0 = ib, ip = 0; i0 < ie; i0 += ${GEMM_MR}, ip++)`, [
    `const aPanel = aPanels[ip], r0 = bi * m + i0, rows = Math.min(${GEMM_MR}, ie - i0);`,
    ...microKernel(),
    ...store,
  ]);
  const rowBlock = block('for (let ib = 0; ib < m; ib += rowBlock)', [
    'const ie = Math.min(m, ib + rowBlock);',
    ...packA,
    ...block('for (let jp = 0; jp < panels; jp++)', [
      `const bo = pb + jp * depth, j0 = jp * ${GEMM_NR}, cols = Math.min(${GEMM_NR}, n - j0);`,
      ...tiles,
    ]),
  ]);
  return {
    family: 'gemm',
    doc: `matmul, epilogue ${commentText(printExpr(epilogue))}`,
    params: [
      { name: 'g', type: 'GemmGeometry' }, { name: 'a', type: 'Float32Array' }, { name: 'p', type: 'Panels' },
      { name: 'out', type: 'Float32Array' }, ...extras.map((d, i) => ({ name: `e${i + 1}`, type: ARRAY_TYPE[d] })),
    ],
    body: [
      'const { batches, m, n, k, aRows, aStep, bMats, aPanels, rowBlock, tile } = g;',
      `const panels = Math.ceil(n / ${GEMM_NR}), depth = k * ${GEMM_NR};`,
      ...ids.map((i) => `const er${i} = g.extraRows[${i - 1}], ec${i} = g.extraCols[${i - 1}];`),
      ...block('for (let bi = 0; bi < batches; bi++)', ['const pb = bMats[bi] * panels * depth;', ...rowBlock]),
    ],
  };
}
