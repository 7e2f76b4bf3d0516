// Ahead-of-time export of generation (`smelt compile --graph generator`): the encode and step graphs,
// each exported whole by the target's backend into its own folder (encode/, step/: every loader reads
// fixed file names beside its model.js), and a model.js of the generator's own that imports both and
// runs the embedded generation loop (model-js.ts). In memory, as Backend.exportFiles; names of the
// parts' files carry their folder ("step/model.wasm"), which @smelt/backends/node writes as such.

import type { Tensor } from '@smelt/ir';
import { type Backend, BackendError, type CompileOptions, type ModuleFiles } from '@smelt/backends';
import type { Seq2SeqConfig } from '../../config.ts';
import { weightsFor } from '../../io.ts';
import { type MaskInputs, buildSeq2SeqEncode, buildSeq2SeqStep } from '../../models.ts';
import type { GeneratorTarget } from './host.ts';
import { GENERATOR_PARTS, generatorDts, generatorModelJs, generatorPackageJson } from './model-js.ts';

const TARGETS: readonly string[] = ['js', 'wasm', 'webgpu'] satisfies GeneratorTarget[];

/** The files of a generator export for `backend` (js, wasm or webgpu), with the seq2seq weights. */
export async function generatorFiles(
  cfg: Seq2SeqConfig, weights: ReadonlyMap<string, Tensor>, backend: Backend, options: CompileOptions = {}, masks: Pick<MaskInputs, 'srcPadding'> = {},
): Promise<ModuleFiles> {
  if (!TARGETS.includes(backend.name) || !backend.exportFiles) {
    throw new BackendError(`a generator export needs the js, wasm or webgpu backend, got "${backend.name}"`);
  }
  const target = backend.name as GeneratorTarget;
  const graphs = { encode: buildSeq2SeqEncode(cfg, masks), step: buildSeq2SeqStep(cfg, masks) };
  const files = new Map<string, string | Uint8Array>();
  for (const part of GENERATOR_PARTS) {
    const graph = graphs[part];
    for (const [name, data] of await backend.exportFiles(graph, weightsFor(graph, weights), options)) files.set(`${part}/${name}`, data);
  }
  const srcPadding = masks.srcPadding ?? false;
  files.set('model.js', generatorModelJs(cfg, target, srcPadding));
  files.set('model.d.ts', generatorDts(cfg, target, srcPadding));
  files.set('package.json', generatorPackageJson());
  return files;
}
