// Public API of @smelt/onnx (browser-safe: bytes in, graph out): import an ONNX model into smelt's
// graph IR and weights. Reading files and their external data: @smelt/onnx/node.

export { type ImportOptions, type ImportedModel, MAX_OPSET, MIN_OPSET, importOnnx } from './import.ts';
export { OnnxError, OnnxExportError, OnnxFormatError, OnnxUnsupportedError } from './errors.ts';
export { SUPPORTED_OPS } from './ops/index.ts';
export type { ExternalData } from './tensors.ts';
export { EXPORT_IR_VERSION, EXPORT_OPSET, type ExportOptions, OP_LOWERINGS, exportOnnx } from './export/export.ts';
