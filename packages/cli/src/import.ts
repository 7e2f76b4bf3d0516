// `smelt import model.onnx --out DIR`: an ONNX model as smelt's own files, to read, edit and diff
// as text: DIR/model.smelt (the IR text) and DIR/weights.safetensors (its parameters by ONNX
// name). Both are written into a staging folder and swapped in together (staging.ts), so a failed
// import writes nothing and a previous import in DIR is replaced whole.

import fs from 'node:fs';
import path from 'node:path';
import { formatDims, printGraph, serializeSafetensors } from '@smelt/ir';
import { type FlagSpecs, type ParsedFlags, UsageError } from './args.ts';
import { onnxNode } from './onnx-entry.ts';
import { writeFolderAtomically } from './staging.ts';

export const IMPORT_FLAGS: FlagSpecs = {
  model: { kind: 'string', metavar: 'M.onnx', help: 'the ONNX model (or give it as the first argument)' },
  out: { kind: 'string', required: true, metavar: 'DIR', help: 'folder to write model.smelt and weights.safetensors into: created, or a previous import replaced whole' },
  quiet: { kind: 'boolean', help: 'print nothing on success' },
};

export async function importCommand(flags: ParsedFlags): Promise<void> {
  const file = flags.model as string | undefined;
  if (!file) throw new UsageError('missing the ONNX model: smelt import model.onnx --out DIR');
  if (path.extname(file).toLowerCase() !== '.onnx') throw new UsageError(`smelt import reads .onnx models, got "${file}" (other formats load directly with --model)`);
  const { readOnnx } = await onnxNode();
  const m = readOnnx(file, { name: path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9_]/g, '_') });
  const text = printGraph(m.graph);
  const weights = serializeSafetensors(m.weights);
  const out = path.resolve(flags.out as string);
  await writeFolderAtomically(out, flags.out as string, async (staging) => {
    fs.writeFileSync(path.join(staging, 'model.smelt'), text);
    fs.writeFileSync(path.join(staging, 'weights.safetensors'), weights);
  }, 'model.smelt');
  if (flags.quiet) return;
  const io = (vs: readonly { name?: string; type: { dtype: string; shape: readonly (number | string)[] } }[]) =>
    vs.map((v) => `${v.name} ${v.type.dtype}${formatDims(v.type.shape)}`).join(', ');
  process.stdout.write(
    `import: ${file} (opset ${m.opset}${m.producer ? `, from ${m.producer}` : ''}): wrote model.smelt (${m.graph.nodes.length} nodes) and weights.safetensors (${m.weights.size} tensors) to ${flags.out}\n` +
      `  inputs: ${io(m.graph.inputs)}\n  outputs: ${io(m.graph.outputs.map((o) => ({ name: o.name, type: o.value.type })))}\n`,
  );
}
