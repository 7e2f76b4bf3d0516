// Fusion: the residual add folded into LayerNorm (the paper's Add & Norm). The sum stays available
// as a second result, because pre-norm residual streams keep using it.

import { shapesEqual } from '@smelt/ir';
import { isOp } from '../match.ts';
import type { Rule } from '../rewrite.ts';

// layer_norm(x + r, w, b) → add_layer_norm(x, r, w, b) = [normalized, x + r]
export const addLayerNorm: Rule = {
  name: 'add-layer-norm',
  law: 'layer_norm(x + r, w, b) → add_layer_norm(x, r, w, b) = [norm, x + r]',
  apply(n, rw) {
    if (!isOp(n, 'layer_norm')) return false;
    const sum = n.inputs[0];
    const add = sum.def.kind === 'node' && sum.def.node.op === 'add' ? sum.def.node : undefined;
    if (!add || sum.type.dtype !== 'f32') return false;
    const [a, b] = add.inputs;
    const [x, r] = shapesEqual(a.type.shape, sum.type.shape) ? [a, b] : [b, a];
    if (!shapesEqual(x.type.shape, sum.type.shape)) return false;
    const [norm, total] = rw.insertBefore(n, 'add_layer_norm', [x, r, n.inputs[1], n.inputs[2]], { eps: n.attrs.eps });
    rw.replace(n.outputs[0], norm);
    rw.replace(sum, total);
    return true;
  },
};
