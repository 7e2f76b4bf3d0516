// `smelt run` and `smelt generate`: the commands of shared/spec/transformer.md §3.

import { formatDims, writeSafetensors, type Tensor } from '@smelt/ir';
import { generateFiles, runFiles, type SessionResult } from '@smelt/examples/transformer';
import type { FlagSpecs, ParsedFlags } from './args.ts';
import { BACKEND_HELP, pickBackend } from './backends.ts';

export const RUN_FLAGS: FlagSpecs = {
  config: { kind: 'string', required: true, metavar: 'C.json', help: 'model config (shared/spec/transformer.md)' },
  weights: { kind: 'string', required: true, metavar: 'W.safetensors', help: 'weights: the PyTorch state_dict, names unchanged' },
  inputs: { kind: 'string', required: true, metavar: 'I.safetensors', help: 'named input tensors' },
  out: { kind: 'string', required: true, metavar: 'O.safetensors', help: 'where to write the outputs (only on success)' },
  backend: { kind: 'string', metavar: 'B', help: BACKEND_HELP },
  optimize: { kind: 'boolean', help: 'run the compiler pipeline first (reference backend: interpret the optimized graph)' },
  quiet: { kind: 'boolean', help: 'print nothing on success' },
};

function describe(outputs: Map<string, Tensor>): string {
  return [...outputs].map(([k, t]) => `${k} ${t.dtype}${formatDims(t.shape)}`).join(', ');
}

async function finish(kind: string, flags: ParsedFlags, backendName: string, result: SessionResult): Promise<void> {
  writeSafetensors(flags.out as string, result.outputs);
  if (flags.quiet) return;
  const t = result.timings;
  process.stdout.write(
    `${kind}: ${result.config.model} on ${backendName}: wrote ${describe(result.outputs)} to ${flags.out}\n` +
      `  load ${t.loadMs.toFixed(1)} ms, compile ${t.compileMs.toFixed(1)} ms, run ${t.runMs.toFixed(1)} ms\n`,
  );
}

export async function runCommand(flags: ParsedFlags): Promise<void> {
  const backend = await pickBackend(flags.backend as string | undefined);
  const files = { config: flags.config as string, weights: flags.weights as string, inputs: flags.inputs as string };
  await finish('run', flags, backend.name, await runFiles(files, backend, { optimize: Boolean(flags.optimize) }));
}

export async function generateCommand(flags: ParsedFlags): Promise<void> {
  const backend = await pickBackend(flags.backend as string | undefined);
  const files = { config: flags.config as string, weights: flags.weights as string, inputs: flags.inputs as string };
  await finish('generate', flags, backend.name, await generateFiles(files, backend, { optimize: Boolean(flags.optimize) }));
}
