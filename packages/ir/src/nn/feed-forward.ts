// The position-wise feed-forward block: linear2(act(linear1(x))). Its parameters sit directly in
// the enclosing layer's scope (torch names them layers.N.linear1 / linear2).

import type { Var } from '../dsl.ts';
import { Linear } from './basic.ts';
import type { Scope } from './scope.ts';

export type ActivationName = 'relu' | 'gelu';

export class FeedForward {
  readonly linear1: Linear;
  readonly linear2: Linear;

  constructor(scope: Scope, dModel: number, dimFeedforward: number, readonly activation: ActivationName) {
    this.linear1 = new Linear(scope.child('linear1'), dModel, dimFeedforward);
    this.linear2 = new Linear(scope.child('linear2'), dimFeedforward, dModel);
  }

  forward(x: Var): Var {
    const h = this.linear1.forward(x);
    return this.linear2.forward(this.activation === 'relu' ? h.relu() : h.gelu('none'));
  }
}
