// Batched matrix multiply with broadcast batch dims and transpose flags, and the shape rule
// that the fused linear and attention ops share.

import { type Dim, type TensorType, broadcastShapes, formatType } from '../shape.ts';
import { type Tensor, numel } from '../tensor.ts';
import { broadcastStrides, describe, requireDTypes } from './ref-util.ts';
import type { OpDef } from './types.ts';

export interface MatmulDims {
  readonly batch: Dim[];
  readonly m: Dim;
  readonly k: Dim;
  readonly n: Dim;
}

/** Shape rule of `a @ b` with optional transposes of the last two axes. */
export function matmulDims(a: TensorType, b: TensorType, transA: boolean, transB: boolean): MatmulDims {
  requireDTypes([a, b], ['f32'], 'matmul');
  if (a.shape.length < 2 || b.shape.length < 2) throw new Error(`operands need rank >= 2, got ${describe([a, b])}`);
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [m, ka] = transA ? [a1, a0] : [a0, a1];
  const [kb, n] = transB ? [b1, b0] : [b0, b1];
  if (ka !== kb) {
    throw new Error(`contracted dims differ: ${ka} vs ${kb} (${formatType(a)}${transA ? 'ᵀ' : ''} @ ${formatType(b)}${transB ? 'ᵀ' : ''})`);
  }
  let batch: Dim[];
  try {
    batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  } catch {
    throw new Error(`batch dims do not broadcast: ${describe([a, b])}`);
  }
  return { batch, m, k: ka, n };
}

/** Reference a @ b (double accumulation) over concrete tensors. */
export function matmulRef(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const ar = a.shape.length;
  const br = b.shape.length;
  const [m, k] = transA ? [a.shape[ar - 1], a.shape[ar - 2]] : [a.shape[ar - 2], a.shape[ar - 1]];
  const n = transB ? b.shape[br - 2] : b.shape[br - 1];
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)]) as number[];
  const aStr = broadcastStrides(a.shape.slice(0, -2), batch);
  const bStr = broadcastStrides(b.shape.slice(0, -2), batch);
  const nb = numel(batch);
  const out = new Float32Array(nb * m * n);
  const A = a.data as Float32Array;
  const B = b.data as Float32Array;
  const [sam, sak] = transA ? [1, m] : [k, 1];
  const [sbk, sbn] = transB ? [1, k] : [n, 1];
  const row = new Float64Array(n);
  for (let bi = 0; bi < nb; bi++) {
    let rem = bi;
    let aOff = 0;
    let bOff = 0;
    for (let d = batch.length - 1; d >= 0; d--) {
      const c = rem % batch[d];
      rem = (rem - c) / batch[d];
      aOff += c * aStr[d] * m * k;
      bOff += c * bStr[d] * k * n;
    }
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = A[aOff + i * sam + p * sak];
        const bBase = bOff + p * sbk;
        for (let j = 0; j < n; j++) row[j] += av * B[bBase + j * sbn];
      }
      out.set(row, (bi * m + i) * n);
    }
  }
  return { dtype: 'f32', shape: [...batch, m, n], data: out };
}

const matmul: OpDef<'matmul'> = {
  summary: 'batched a @ b over the last two axes, batch dims broadcast, optional transposes',
  example: '%2 = matmul(%0, %1) {transA = false, transB = true} : f32[batch, 4, seq, seq]',
  traits: ['contraction'],
  operands: 2,
  attrs: { transA: { kind: 'bool' }, transB: { kind: 'bool' } },
  infer([a, b], attrs) {
    const { batch, m, n } = matmulDims(a, b, attrs.transA, attrs.transB);
    return [{ dtype: 'f32', shape: [...batch, m, n] }];
  },
  evaluate([a, b], attrs) {
    return [matmulRef(a, b, attrs.transA, attrs.transB)];
  },
};

export const MATMUL_OPS = { matmul } as const;
