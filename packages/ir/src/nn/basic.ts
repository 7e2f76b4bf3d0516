// Basic layers: Linear (y = x Wᵀ + b, W is [out, in] as in PyTorch), Conv1D (Hugging Face GPT-2's
// linear layer, y = x W + b with W stored [in, out]), Embedding, LayerNorm (bias optional, as
// torch's `bias=False`) and RMSNorm (weight only, as torch.nn.RMSNorm).

import { gather, layerNorm, rmsNorm, type Var } from '../dsl.ts';
import type { Scope } from './scope.ts';

export class Linear {
  readonly weight: Var;
  readonly bias: Var | undefined;

  constructor(scope: Scope, inFeatures: number, outFeatures: number, bias = true) {
    this.weight = scope.param('weight', [outFeatures, inFeatures]);
    this.bias = bias ? scope.param('bias', [outFeatures]) : undefined;
  }

  forward(x: Var): Var {
    const y = x.matmul(this.weight, { transB: true });
    return this.bias ? y.add(this.bias) : y;
  }
}

/** Hugging Face's `Conv1D` (GPT-2): a linear layer whose weight is stored [in, out]. */
export class Conv1D {
  readonly weight: Var;
  readonly bias: Var;

  constructor(scope: Scope, inFeatures: number, outFeatures: number) {
    this.weight = scope.param('weight', [inFeatures, outFeatures]);
    this.bias = scope.param('bias', [outFeatures]);
  }

  forward(x: Var): Var {
    return x.matmul(this.weight).add(this.bias);
  }
}

export class Embedding {
  readonly weight: Var;

  constructor(scope: Scope, count: number, dim: number) {
    this.weight = scope.param('weight', [count, dim]);
  }

  forward(ids: Var): Var {
    return gather(this.weight, ids, 0);
  }
}

export class LayerNorm {
  readonly weight: Var;
  readonly bias: Var | undefined;

  constructor(scope: Scope, dim: number, readonly eps: number, options: { readonly bias?: boolean } = {}) {
    this.weight = scope.param('weight', [dim]);
    this.bias = options.bias === false ? undefined : scope.param('bias', [dim]);
  }

  forward(x: Var): Var {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** RMSNorm over the last axis with a learned weight (`weight`, [dim]): x · rsqrt(mean(x²) + eps) · weight. */
export class RMSNorm {
  readonly weight: Var;

  constructor(scope: Scope, dim: number, readonly eps: number) {
    this.weight = scope.param('weight', [dim]);
  }

  forward(x: Var): Var {
    return rmsNorm(x, this.weight, this.eps);
  }
}
