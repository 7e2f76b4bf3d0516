// Public API of @smelt/ir: dtypes, shapes, the op table, graphs, text and JSON forms, the DSL and
// nn layers, safetensors, and the reference interpreter.

export * from './dtype.ts';
export * from './tensor.ts';
export * from './shape.ts';
export * from './attrs.ts';
export * from './expr.ts';
export type { AttentionLayout, AttrSchemaOf, ExprNodeKind, ExprOpDef, OpAttrs, OpDef, OpKind, OpTable, Trait } from './ops/types.ts';
export { OPS, OP_KINDS, dependsOnSymbols, hasTrait, isExprNode, isOpKind, isRowNode, opDef, operandRange } from './ops/table.ts';
export { attentionLayout, headSwapPerm } from './ops/attention.ts';
export { ROW_OP_RECORDS, type RowOpAttrs, type RowOpKind, type RowOpRecord } from './ops/rows.ts';
export * from './row-program.ts';
export { castTensor, type ElementwiseKind } from './ops/elementwise.ts';
export { EXPR_OPS, NODE_EXPR_KINDS, exprOpDType, targetHelpers, type BinaryKind, type NodeExprKind, type UnaryKind } from './ops/expr/table.ts';
export type { DTypeVerdict, ExprOpRecord, Helper, JsRule, ScalarFn, SourceRule } from './ops/expr/record.ts';
export type { Wasm, WasmBody, WasmFn, WasmInstr, WasmRule, WasmType, WasmVector } from './ops/expr/wasm.ts';
export { erf, geluErf, geluTanh, sigmoid } from './ops/math.ts';
export * from './graph.ts';
export * from './printer.ts';
export { parseGraph } from './parser.ts';
export { IRSyntaxError } from './lexer.ts';
export * from './json.ts';
export * from './verify.ts';
export { BuildError, GraphBuilder, ShapeError } from './builder.ts';
export * from './dsl.ts';
export * from './dsl-ops.ts';
export * from './interpreter.ts';
export * from './safetensors.ts';
export * as nn from './nn/index.ts';
