// Public API of @smelt/ir: dtypes, shapes, the op table, graphs, text and JSON forms, the DSL and
// nn layers, safetensors, and the reference interpreter.

export * from './dtype.ts';
export * from './tensor.ts';
export * from './shape.ts';
export * from './attrs.ts';
export * from './expr.ts';
export type { Activation, AttrSchemaOf, OpAttrs, OpDef, OpKind, OpTable, Trait } from './ops/types.ts';
export { OPS, OP_KINDS, hasTrait, isOpKind, opDef, operandRange } from './ops/table.ts';
export { BINARY_RULES, UNARY_RULES, castTensor, isBinaryKind, isUnaryKind, type BinaryKind, type UnaryKind } from './ops/elementwise.ts';
export { erf, geluErf, geluTanh, sigmoid } from './ops/math.ts';
export * from './graph.ts';
export * from './printer.ts';
export { parseGraph } from './parser.ts';
export { IRSyntaxError } from './lexer.ts';
export * from './json.ts';
export * from './verify.ts';
export { BuildError, GraphBuilder, ShapeError } from './builder.ts';
export * from './dsl.ts';
export * from './interpreter.ts';
export * from './safetensors.ts';
export * as nn from './nn/index.ts';
