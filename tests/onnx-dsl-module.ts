// A model as a DSL module, for `smelt run --model this-file.ts` (tests/onnx-cli.test.ts): the
// default export is a function returning a GraphBuilder (docs/FORMATS.md, "DSL modules").

import { GraphBuilder, input, nn } from '@smelt/ir';

export default function build(): GraphBuilder {
  const b = new GraphBuilder('mlp');
  const x = input(b, 'x', 'f32', ['batch', 4]);
  const h = new nn.Linear(new nn.Scope(b, 'fc1'), 4, 6).forward(x).relu();
  b.output('y', new nn.Linear(new nn.Scope(b, 'fc2'), 6, 3).forward(h).softmax(-1).value);
  return b;
}
