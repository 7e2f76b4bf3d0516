// Public API of @smelt/onnx (browser-safe: bytes in, graph out): import an ONNX model into smelt's
// graph IR and weights. Reading files and their external data: @smelt/onnx/node.

export { type ImportOptions, type ImportedModel, MAX_OPSET, MIN_OPSET, importOnnx } from './import.ts';
export { OnnxError, OnnxFormatError, OnnxUnsupportedError } from './errors.ts';
export { SUPPORTED_OPS } from './ops/index.ts';
export type { ExternalData } from './tensors.ts';
