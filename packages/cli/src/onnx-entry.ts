// The ONNX importer and exporter, loaded only when a command reads an .onnx file or compiles with
// --target onnx: @smelt/onnx is a package of its own (it brings protobufjs), so an install without
// it still runs every other door and target and says what to install when ONNX comes up.

import type * as OnnxNode from '@smelt/onnx/node';
import { ModelIOError } from '@smelt/models';

export async function onnxNode(): Promise<typeof OnnxNode> {
  try {
    return await import('@smelt/onnx/node');
  } catch (e) {
    // Only @smelt/onnx itself missing: a dependency of it missing (protobufjs) is a broken install, said as Node says it.
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /'@smelt\/onnx[/']/.test((e as Error).message)) throw new ModelIOError('reading .onnx models and --target onnx need the @smelt/onnx package: npm install @smelt/onnx');
    throw e;
  }
}
