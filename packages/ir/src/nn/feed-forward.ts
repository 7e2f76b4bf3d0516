// The position-wise feed-forward blocks. FeedForward: down(act(up(x))), its two layers named as the
// checkpoint names them (torch's layers.N.linear1 / linear2 in the enclosing layer's scope by default;
// GPT-2's mlp.c_fc / mlp.c_proj are Conv1D; BERT's intermediate.dense / output.dense).
// GatedFeedForward (SwiGLU, Llama's MLP): down_proj(silu(gate_proj(x)) * up_proj(x)).

import { unary, type Var } from '../dsl.ts';
import { Conv1D, Linear } from './basic.ts';
import type { Scope } from './scope.ts';

export type ActivationName = 'relu' | 'gelu' | 'gelu-tanh' | 'silu';

/** relu, gelu (exact, erf), gelu-tanh (the tanh approximation: GPT-2's gelu_new) or silu. */
export function activate(x: Var, name: ActivationName): Var {
  switch (name) {
    case 'relu': return x.relu();
    case 'gelu': return x.gelu('none');
    case 'gelu-tanh': return x.gelu('tanh');
    case 'silu': return unary('silu', x);
    default: return name satisfies never;
  }
}

export interface FeedForwardOptions {
  /** Scope paths of the two layers (default: torch's linear1, linear2). */
  readonly names?: readonly [string, string];
  /** The layers are Hugging Face Conv1D (weights [in, out], GPT-2) instead of Linear. */
  readonly conv1d?: boolean;
}

export class FeedForward {
  readonly linear1: Linear | Conv1D;
  readonly linear2: Linear | Conv1D;

  constructor(scope: Scope, dModel: number, dimFeedforward: number, readonly activation: ActivationName, options: FeedForwardOptions = {}) {
    const [up, down] = options.names ?? ['linear1', 'linear2'];
    const Layer = options.conv1d ? Conv1D : Linear;
    this.linear1 = new Layer(scope.child(up), dModel, dimFeedforward);
    this.linear2 = new Layer(scope.child(down), dimFeedforward, dModel);
  }

  forward(x: Var): Var {
    return this.linear2.forward(activate(this.linear1.forward(x), this.activation));
  }
}

/** SwiGLU: down_proj(silu(gate_proj(x)) * up_proj(x)), Hugging Face's names, no biases by default (Llama). */
export class GatedFeedForward {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
  readonly activation: ActivationName;

  constructor(scope: Scope, dModel: number, hidden: number, { bias = false, activation = 'silu' as ActivationName } = {}) {
    this.gate = new Linear(scope.child('gate_proj'), dModel, hidden, bias);
    this.up = new Linear(scope.child('up_proj'), dModel, hidden, bias);
    this.down = new Linear(scope.child('down_proj'), hidden, dModel, bias);
    this.activation = activation;
  }

  forward(x: Var): Var {
    return this.down.forward(activate(this.gate.forward(x), this.activation).mul(this.up.forward(x)));
  }
}
