// The ONNX importer, loaded only when a command reads an .onnx file: @smelt/onnx is a package of
// its own (it brings protobufjs), so an install without it still runs every other door and says
// what to install when an .onnx model comes.

import type * as OnnxNode from '@smelt/onnx/node';
import { ModelIOError } from '@smelt/models';

export async function onnxNode(): Promise<typeof OnnxNode> {
  try {
    return await import('@smelt/onnx/node');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new ModelIOError('reading .onnx models needs the @smelt/onnx package: npm install @smelt/onnx');
    throw e;
  }
}
