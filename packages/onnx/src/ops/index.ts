// Every ONNX op the importer takes, by op type (default domain), joined from the families.

import { CONV_OPS } from './conv.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { CONTROL_OPS } from './loop.ts';
import { NN_OPS } from './nn.ts';
import { SEQUENCE_OPS } from './sequence.ts';
import { SHAPE_OPS } from './shape.ts';
import type { Converter } from './types.ts';

export const ONNX_OPS: Readonly<Record<string, Converter>> = {
  ...ELEMENTWISE_OPS, ...SHAPE_OPS, ...NN_OPS, ...SEQUENCE_OPS, ...CONTROL_OPS, ...CONV_OPS,
};

/** The supported op types, sorted, for error messages and docs. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(ONNX_OPS).sort();
