// 1-D convolution as torch.nn.functional.conv1d: x [N, Cin, L], weight [Cout, Cin / groups, K],
// optional bias [Cout]; out[n, co, t] = bias[co] + Σ w[co, ci, k] · x[n, g·Cin/groups + ci,
// t·stride + k·dilation - padding] (zero outside x), g = co's group. Sums accumulate in double.

import { type Dim, dimAdd, formatType } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { describe, requireDTypes } from './ref-util.ts';
import type { OpAttrs, OpDef } from './types.ts';

type Conv = OpAttrs['conv1d'];

/** The output length: ⌊(L + 2·padding - dilation·(K - 1) - 1) / stride⌋ + 1 (a symbolic L needs stride 1). */
export function convLength(len: Dim, k: number, a: Conv): Dim {
  const shrink = 2 * a.padding - a.dilation * (k - 1);
  if (typeof len === 'number') return Math.floor((len + shrink - 1) / a.stride) + 1;
  if (a.stride !== 1) throw new Error(`a symbolic length (${len}) needs stride 1, got stride ${a.stride}`);
  return dimAdd(len, shrink);
}

const conv1d: OpDef<'conv1d'> = {
  summary: '1-D convolution over [N, Cin, L] with weight [Cout, Cin / groups, K] and an optional bias [Cout] (torch conv1d)',
  example: '%3 = conv1d(%0, %1, %2) {stride = 1, padding = 1, dilation = 1, groups = 1} : f32[batch, 64, seq]',
  traits: ['contraction'],
  operands: [2, 3],
  attrs: { stride: { kind: 'int' }, padding: { kind: 'int' }, dilation: { kind: 'int' }, groups: { kind: 'int' } },
  infer(inputs, a) {
    const [x, w, b] = inputs;
    requireDTypes(inputs, ['f32'], 'conv1d');
    if (a.stride < 1 || a.dilation < 1 || a.groups < 1 || a.padding < 0) throw new Error(`stride, dilation and groups must be >= 1 and padding >= 0, got ${JSON.stringify(a)}`);
    if (x.shape.length !== 3 || w.shape.length !== 3) throw new Error(`needs x [N, Cin, L] and weight [Cout, Cin / groups, K], got ${describe(inputs)}`);
    const [n, cin, len] = x.shape;
    const [cout, cpg, k] = w.shape;
    if (typeof cin !== 'number' || typeof cout !== 'number' || typeof k !== 'number') throw new Error(`channels and kernel size must be known numbers, got ${describe(inputs)}`);
    if (cin % a.groups !== 0 || cout % a.groups !== 0 || cpg !== cin / a.groups) {
      throw new Error(`groups ${a.groups}: Cin ${cin} and Cout ${cout} must divide, and the weight's dim 1 must be Cin / groups = ${cin / a.groups}, got ${describe(inputs)}`);
    }
    if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) throw new Error(`bias must be [${cout}], got ${formatType(b)}`);
    const out = convLength(len, k, a);
    if (typeof out === 'number' && out < 1) throw new Error(`the output would be empty: length ${len}, kernel ${k}, ${JSON.stringify(a)}`);
    return [{ dtype: 'f32', shape: [n, cout, out] }];
  },
  evaluate([x, w, b], a) {
    const [n, cin, len] = x.shape;
    const [cout, cpg, k] = w.shape;
    const lout = convLength(len, k, a) as number;
    const out = new Float32Array(n * cout * lout);
    const [X, W, B] = [x.data, w.data, b?.data] as (Float32Array | undefined)[];
    const perGroup = cout / a.groups;
    for (let s = 0; s < n; s++) {
      for (let co = 0; co < cout; co++) {
        const g = Math.floor(co / perGroup);
        for (let t = 0; t < lout; t++) {
          let acc = B ? B[co] : 0;
          for (let ci = 0; ci < cpg; ci++) {
            for (let j = 0; j < k; j++) {
              const at = t * a.stride + j * a.dilation - a.padding;
              if (at >= 0 && at < len) acc += W![(co * cpg + ci) * k + j] * X![(s * cin + g * cpg + ci) * len + at];
            }
          }
          out[(s * cout + co) * lout + t] = acc;
        }
      }
    }
    return [{ dtype: 'f32', shape: [n, cout, lout], data: out } as Tensor];
  },
};

export const CONV_OPS = { conv1d } as const;
