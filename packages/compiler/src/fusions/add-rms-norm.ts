// Fusion: the residual add folded into RMSNorm (Llama's pre-norm blocks). As with Add & Norm, the
// sum stays available as a second result for the residual stream.

import { isOp, residualAdd } from '../match.ts';
import type { Rule } from '../rewrite.ts';

// rms_norm(x + r, w) → add_rms_norm(x, r, w) = [normalized, x + r]
export const addRmsNorm: Rule = {
  name: 'add-rms-norm',
  law: 'rms_norm(x + r, w) → add_rms_norm(x, r, w) = [norm, x + r]',
  apply(n, rw) {
    if (!isOp(n, 'rms_norm')) return false;
    const sum = n.inputs[0];
    const xr = residualAdd(sum);
    if (!xr) return false;
    const [norm, total] = rw.insertBefore(n, 'add_rms_norm', [...xr, n.inputs[1]], { eps: n.attrs.eps });
    rw.replace(n.outputs[0], norm);
    rw.replace(sum, total);
    return true;
  },
};
