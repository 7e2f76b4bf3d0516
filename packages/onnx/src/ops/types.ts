// The shape of an op converter: one ONNX node in, its output values out (in output order).

import type { NodeContext } from '../context.ts';
import type { Slot } from '../values.ts';

export type Converter = (c: NodeContext) => Slot[];
