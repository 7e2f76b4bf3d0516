// The importer's and exporter's errors. Every one names what it is about: the file, the node (its
// name, op type, domain and opset), the tensor, the attribute; nothing is written when one is thrown.

/** Anything wrong with an ONNX model smelt reads or writes. */
export class OnnxError extends Error {
  override name = 'OnnxError';
}

/** The bytes are not a well-formed ONNX model: truncated, corrupted, wrong types, missing or misshaped data. */
export class OnnxFormatError extends OnnxError {
  override name = 'OnnxFormatError';
}

/** A well-formed model that uses an op, attribute value, dtype or opset smelt does not import. */
export class OnnxUnsupportedError extends OnnxError {
  override name = 'OnnxUnsupportedError';
}

/** Where an error happened: the node as ONNX names it, for messages. */
export interface NodeRef {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly opset: number;
}

export function describeNode(n: NodeRef): string {
  const name = n.name ? `node ${JSON.stringify(n.name)}` : 'an unnamed node';
  return `${name} (${n.opType}, domain ${JSON.stringify(n.domain || 'ai.onnx')}, opset ${n.opset})`;
}

/** A graph the ONNX exporter cannot write: an op or attribute value it does not support, a missing weight, a clash of names. */
export class OnnxExportError extends OnnxError {
  override name = 'OnnxExportError';
}
