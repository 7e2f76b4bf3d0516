// Fusion: the residual add folded into RMSNorm (Llama's pre-norm blocks). As with Add & Norm, the
// sum stays available as a second result for the residual stream.

import { isOp } from '../match.ts';
import type { Rule } from '../rewrite.ts';
import { foldResidualAdd } from './residual-norm.ts';

// rms_norm(x + r, w) → add_rms_norm(x, r, w) = [normalized, x + r]
export const addRmsNorm: Rule = {
  name: 'add-rms-norm',
  law: 'rms_norm(x + r, w) → add_rms_norm(x, r, w) = [norm, x + r]',
  apply: (n, rw) => isOp(n, 'rms_norm') && foldResidualAdd(n, rw, 'add_rms_norm', { eps: n.attrs.eps }),
};
