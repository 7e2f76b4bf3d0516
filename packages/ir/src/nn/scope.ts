// A naming scope for layers: parameters get PyTorch state_dict names ("encoder.layers.0.linear1.weight")
// by composing child scopes, so a state_dict loads with no mapping table.

import type { GraphBuilder } from '../builder.ts';
import { Var } from '../dsl.ts';
import type { Shape } from '../shape.ts';

export class Scope {
  constructor(readonly b: GraphBuilder, readonly prefix = '') {}

  child(name: string | number): Scope {
    return new Scope(this.b, this.prefix ? `${this.prefix}.${name}` : String(name));
  }

  /** Declare an f32 parameter named prefix.name. */
  param(name: string, shape: Shape): Var {
    const full = this.prefix ? `${this.prefix}.${name}` : name;
    return new Var(this.b, this.b.param(full, 'f32', shape));
  }
}
