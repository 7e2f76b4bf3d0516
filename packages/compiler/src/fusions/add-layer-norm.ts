// Fusion: the residual add folded into LayerNorm (the paper's Add & Norm). The sum stays available
// as a second result, because pre-norm residual streams keep using it. The bias is optional.

import { isOp } from '../match.ts';
import type { Rule } from '../rewrite.ts';
import { foldResidualAdd } from './residual-norm.ts';

// layer_norm(x + r, w, b) → add_layer_norm(x, r, w, b) = [normalized, x + r]
export const addLayerNorm: Rule = {
  name: 'add-layer-norm',
  law: 'layer_norm(x + r, w, b) → add_layer_norm(x, r, w, b) = [norm, x + r]',
  apply: (n, rw) => isOp(n, 'layer_norm') && foldResidualAdd(n, rw, 'add_layer_norm', { eps: n.attrs.eps }),
};
