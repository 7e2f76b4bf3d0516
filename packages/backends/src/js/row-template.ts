// The JS row kernel: one generated function per distinct row program (softmax, log_softmax, the
// norms and their add-and-norm forms). Each row runs the schedule's passes: the first computes the
// row value (stored where the program writes it, else into `out`, unless it is an operand read
// directly) and the first reductions; later passes reload it; the last pass writes the output.
// Rounding follows the reference: every f32 op rounds, reductions add in doubles and round once.

import { type DType, type Expr, type RowProgram, printRowProgram, rowDTypes } from '@smelt/ir';
import { type RowPass, rowSchedule, shareSubexpressions } from '@smelt/compiler';
import { block, commentText } from '../render/source-text.ts';
import { type Operand, renderJs } from './expr-js.ts';
import type { TemplateFn } from './templates.ts';
import { typeOnly } from './typed-source.ts';

/** Operand i of a row kernel: whether it has the output's exact shape (else it is read through row offsets). */
export interface RowOperandShape {
  readonly full: boolean;
}

const fround = (code: string) => `Math.fround(${code})`;
const REDUCE_INIT = { sum: '0', mean: '0', max: '-Infinity' } as const;

/** `code` stored as its dtype would round it (f32), or as is. */
const rounded = (code: string, dtype: DType) => (dtype === 'f32' ? fround(code) : code);

export function rowTemplate(p: RowProgram, operands: readonly RowOperandShape[]): TemplateFn {
  const types = rowDTypes(p);
  const schedule = rowSchedule(p);
  const direct = p.value.k === 'in' && operands[p.value.i].full ? p.value.i : undefined;
  const stash = p.writesValue ? 'val' : 'out';
  const base: Operand[] = types.map((dtype, m) => ({ dtype, code: m < p.inputs ? `a${m}` : m === p.inputs ? 'v' : `s${m - p.inputs - 1}` }));
  const read = (i: number) => (operands[i].full ? `x${i}[o + j]` : `x${i}[o${i} + j * c${i}]`);

  /** One loop over the row computing `exprs` (repeated subexpressions once); `sink` turns their code into statements. */
  const loop = (exprs: readonly Expr[], first: boolean, sink: (codes: readonly string[]) => string[]): string[] => {
    const shared = shareSubexpressions(exprs, types, types.length);
    const names = [...base, ...shared.letTypes.map((dtype, i) => ({ dtype, code: `t${i}` }))];
    const lets = shared.lets.map((e, i) => `const t${i} = ${rounded(renderJs(e, names), shared.letTypes[i])};`);
    const codes = shared.exprs.map((e) => renderJs(e, names));
    const computeValue = first && direct === undefined;
    const valueCode = computeValue ? renderJs(p.value, names) : '';
    const text = [valueCode, ...lets, ...codes].join(' ');
    const reads = [...new Set([...text.matchAll(/\ba(\d+)\b/g)].map((m) => Number(m[1])))].sort((x, y) => x - y);
    const valueLines = computeValue ? [`const v = ${fround(valueCode)};`, `${stash}[o + j] = v;`]
      : direct !== undefined ? [`const v = ${read(direct)};`, ...(first && p.writesValue ? ['val[o + j] = v;'] : [])]
        : [`const v = ${stash}[o + j];`];
    const needsValue = first || /\bv\b/.test([...lets, ...codes].join(' '));
    return block('for (let j = 0; j < width; j++)', [
      ...(reads.length ? [`const ${reads.map((i) => `a${i} = ${read(i)}`).join(', ')};`] : []),
      ...(needsValue ? valueLines : []),
      ...lets,
      ...sink(codes),
    ]);
  };

  const step = (k: number) => p.steps[k];
  const scalarLine = (k: number) => {
    const s = step(k);
    if (s.kind !== 'scalar') throw new Error('internal: not a scalar step');
    return `const s${k} = ${rounded(renderJs(s.expr, base), 'f32')};`;
  };
  const passLines = (ps: RowPass, first: boolean): string[] => {
    const reduces = ps.reduces.map((k) => {
      const s = step(k);
      if (s.kind !== 'reduce') throw new Error('internal: not a reduce step');
      return { k, op: s.op, term: s.term };
    });
    const accumulate = (codes: readonly string[]) => reduces.map((r, i) =>
      (r.op === 'max' ? `s${r.k} = Math.max(s${r.k}, ${fround(codes[i])});` : `s${r.k} += ${fround(codes[i])};`));
    return [
      `let ${reduces.map((r) => `s${r.k} = ${REDUCE_INIT[r.op]}`).join(', ')};`,
      ...loop(reduces.map((r) => r.term), first, accumulate),
      ...reduces.map((r) => `s${r.k} = ${fround(r.op === 'mean' ? `s${r.k} / width` : `s${r.k}`)};`),
      ...ps.scalars.map(scalarLine),
    ];
  };

  const body = [
    ...schedule.leading.map(scalarLine),
    ...schedule.passes.flatMap((ps, i) => passLines(ps, i === 0)),
    ...loop([p.output], schedule.passes.length === 0, ([y]) => [`out[o + j] = ${y};`]),
  ];
  const broadcast = operands.map((o, i) => (o.full ? -1 : i)).filter((i) => i >= 0);
  return {
    family: 'row',
    doc: commentText(printRowProgram(p)),
    params: [
      { name: 'g', type: 'ElementwiseGeometry' }, { name: 'out', type: 'Float32Array' },
      ...(p.writesValue ? [{ name: 'val', type: 'Float32Array' }] : []),
      ...operands.map((_, i) => ({ name: `x${i}`, type: 'Float32Array' })),
    ],
    body: [
      'const { rows, width } = g;',
      ...broadcast.map((i) => `const r${i} = g.rowsOf[${i}]${typeOnly('!')}, c${i} = g.cols[${i}];`),
      ...block('for (let r = 0, o = 0; r < rows; r++, o += width)', [
        ...(broadcast.length ? [`const ${broadcast.map((i) => `o${i} = r${i}[r]`).join(', ')};`] : []),
        ...body,
      ]),
    ],
  };
}
