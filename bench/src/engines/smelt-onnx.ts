// smelt compiling the very ONNX files ONNX Runtime runs (scripts/export_onnx.py's exports in the
// workload's data folder): @smelt/onnx imports each part's .onnx (weights from the file, not the
// bench's safetensors), and the wasm backend compiles it with plain or relaxed SIMD, one thread:
// side by side with smelt-wasm(-relaxed), which compile the DSL-built graph of the same weights.

import path from 'node:path';
import { type WasmCompileOptions, getBackend } from '@smelt/backends';
import { readOnnx } from '@smelt/onnx/node';
import { type ModelPart, partStem } from '../workloads/defs.ts';
import type { Engine, EngineExecutable, EngineLimit, EngineSpec, LoadContext } from './engine.ts';

const ONNX_WORKLOADS: EngineLimit = { workloads: ['w-small', 'w-base'], why: 'the ONNX import rows of issue 15: W-small and W-base' };

function smeltOnnxEngine(name: string, options: WasmCompileOptions): Engine {
  const backend = getBackend('wasm');
  return {
    name,
    available: () => backend.unavailableReason(),
    async describe() {
      return { backend: 'wasm', simd: String(options.simd), threads: String(options.threads), graph: 'imported from the ONNX export' };
    },
    async load(part: ModelPart, ctx: LoadContext): Promise<EngineExecutable> {
      const { graph, weights } = readOnnx(path.join(ctx.dir, `${partStem(part)}.onnx`));
      const t0 = performance.now();
      const exe = await backend.compile(graph, weights, options);
      const compileMs = performance.now() - t0;
      return { compileMs, run: (inputs) => exe.run(inputs), dispose: () => exe.dispose() };
    },
  };
}

export function smeltOnnxSpecs(): EngineSpec[] {
  return (['plain', 'relaxed'] as const).map((simd): EngineSpec => {
    const name = simd === 'plain' ? 'smelt-onnx-wasm' : 'smelt-onnx-wasm-relaxed';
    return { name, group: 'peer', needsOnnx: true, only: ONNX_WORKLOADS, create: async () => smeltOnnxEngine(name, { simd, threads: 1 }) };
  });
}
