// Rotary position embeddings: rope(x, cos, sin) rotates pairs of the first R = 2·H entries of
// each last-axis row of x by the angles whose cosines and sines are cos and sin ([..., H], one
// row per position, broadcast against x's rows); entries from R on pass through. Two layouts:
// half-rotated (GPT-NeoX, Hugging Face Llama: pair (j, j + H)) and interleaved (GPT-J, the
// original paper: pair (2p, 2p + 1)). The tables come from the DSL (dsl-ops.ts `rope`), sliced
// at a position offset or gathered by position ids, so the op itself knows no positions.

import { type TensorType, broadcastShapes, formatType, shapesEqual } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { broadcastIndex, describe, requireDTypes } from './ref-util.ts';
import type { OpDef } from './types.ts';

/** The indices rotated together for pair p of H: [first, second]. */
export function ropePair(p: number, half: number, interleaved: boolean): [number, number] {
  return interleaved ? [2 * p, 2 * p + 1] : [p, p + half];
}

function checkRope(x: TensorType, cos: TensorType, sin: TensorType): void {
  requireDTypes([x, cos, sin], ['f32'], 'rope');
  if (x.shape.length < 1 || cos.shape.length < 1) throw new Error(`x and the tables need rank >= 1, got ${describe([x, cos, sin])}`);
  if (!shapesEqual(cos.shape, sin.shape)) throw new Error(`cos and sin differ: ${describe([cos, sin])}`);
  const d = x.shape[x.shape.length - 1];
  const h = cos.shape[cos.shape.length - 1];
  if (typeof d !== 'number' || typeof h !== 'number') throw new Error(`the head size and the table width must be known numbers, got ${describe([x, cos])}`);
  if (2 * h > d) throw new Error(`the rotary size 2·${h} is more than the head size ${d} (${describe([x, cos])})`);
  const rows = [...cos.shape.slice(0, -1), d];
  let ok: boolean;
  try {
    ok = shapesEqual(broadcastShapes([x.shape, rows]), x.shape);
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`the table rows ${formatType(cos)} do not broadcast to the rows of ${formatType(x)}`);
}

/** The reference rotation, rounding each product and the sum to f32 as PyTorch's x·cos + rotate(x)·sin does. */
function ropeRef(x: Tensor, cos: Tensor, sin: Tensor, interleaved: boolean): Tensor {
  const d = x.shape[x.shape.length - 1];
  const h = cos.shape[cos.shape.length - 1];
  const rows = d === 0 ? 0 : x.data.length / d;
  const rowShape = [...x.shape.slice(0, -1), 1];
  const at = broadcastIndex([...cos.shape.slice(0, -1), 1], rowShape);
  const X = x.data as Float32Array;
  const C = cos.data as Float32Array;
  const S = sin.data as Float32Array;
  const out = Float32Array.from(X);
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    const t = (at ? at[r] : r) * h;
    for (let p = 0; p < h; p++) {
      const [i, j] = ropePair(p, h, interleaved);
      const c = C[t + p];
      const s = S[t + p];
      out[base + i] = f(f(X[base + i] * c) - f(X[base + j] * s));
      out[base + j] = f(f(X[base + j] * c) + f(X[base + i] * s));
    }
  }
  return { dtype: 'f32', shape: x.shape, data: out };
}

const rope: OpDef<'rope'> = {
  summary: 'rotary position embedding of the last axis: pairs (j, j + H) (or (2p, 2p + 1) when interleaved) of the first 2·H entries rotated by the angles of cos and sin [..., H]',
  example: '%3 = rope(%0, %1, %2) {interleaved = false} : f32[batch, 8, seq, 64]',
  traits: [],
  operands: 3,
  attrs: { interleaved: { kind: 'bool' } },
  infer([x, cos, sin]) {
    checkRope(x, cos, sin);
    return [x];
  },
  evaluate([x, cos, sin], attrs) {
    return [ropeRef(x, cos, sin, attrs.interleaved)];
  },
};

export const ROPE_OPS = { rope } as const;
