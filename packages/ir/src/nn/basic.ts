// Basic layers: Linear (y = x Wᵀ + b, W is [out, in] as in PyTorch), Embedding and LayerNorm.

import { gather, layerNorm, type Var } from '../dsl.ts';
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
  readonly bias: Var;

  constructor(scope: Scope, dim: number, readonly eps: number) {
    this.weight = scope.param('weight', [dim]);
    this.bias = scope.param('bias', [dim]);
  }

  forward(x: Var): Var {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
