// Fusion: the residual add folded into LayerNorm (the paper's Add & Norm). The sum stays available
// as a second result, because pre-norm residual streams keep using it. The bias is optional.

import { isOp, residualAdd } from '../match.ts';
import type { Rule } from '../rewrite.ts';

// layer_norm(x + r, w, b) → add_layer_norm(x, r, w, b) = [normalized, x + r]
export const addLayerNorm: Rule = {
  name: 'add-layer-norm',
  law: 'layer_norm(x + r, w, b) → add_layer_norm(x, r, w, b) = [norm, x + r]',
  apply(n, rw) {
    if (!isOp(n, 'layer_norm')) return false;
    const sum = n.inputs[0];
    const xr = residualAdd(sum);
    if (!xr) return false;
    const [norm, total] = rw.insertBefore(n, 'add_layer_norm', [...xr, ...n.inputs.slice(1)], { eps: n.attrs.eps });
    rw.replace(n.outputs[0], norm);
    rw.replace(sum, total);
    return true;
  },
};
