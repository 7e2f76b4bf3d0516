// `smelt run` and `smelt generate`: the commands of docs/FORMATS.md.

import { formatDims, type Tensor } from '@smelt/ir';
import { writeSafetensors } from '@smelt/ir/node';
import { generateFiles, runFiles, type SessionResult } from '@smelt/examples/transformer';
import type { CompileOptions } from '@smelt/backends';
import { type FlagSpecs, type ParsedFlags, UsageError } from './args.ts';
import { BACKEND_HELP, pickBackend } from './backends.ts';

export const RUN_FLAGS: FlagSpecs = {
  config: { kind: 'string', required: true, metavar: 'C.json', help: 'model config (docs/FORMATS.md)' },
  weights: { kind: 'string', required: true, metavar: 'W.safetensors', help: 'weights: the PyTorch state_dict, names unchanged' },
  inputs: { kind: 'string', required: true, metavar: 'I.safetensors', help: 'named input tensors' },
  out: { kind: 'string', required: true, metavar: 'O.safetensors', help: 'where to write the outputs (only on success)' },
  backend: { kind: 'string', metavar: 'B', help: BACKEND_HELP },
  optimize: { kind: 'boolean', help: 'reference backend: interpret the optimized graph (the other backends optimize unless --no-optimize)' },
  'no-optimize': { kind: 'boolean', help: 'compile the graph as built, without the pass pipeline (to compare)' },
  threads: { kind: 'string', metavar: 'N', help: 'wasm: threads per kernel (default 1; at most the cores)' },
  simd: { kind: 'string', metavar: 'S', help: 'wasm: auto (relaxed SIMD when the engine has it, default), plain or relaxed' },
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

/** The backend's compile options from the flags; a flag the chosen backend does not take is an error. */
export function compileOptions(flags: ParsedFlags, backend: string): CompileOptions {
  if (flags.optimize && flags['no-optimize']) throw new UsageError('--optimize and --no-optimize contradict each other');
  const options: Record<string, unknown> = {};
  if (flags.optimize) options.optimize = true;
  if (flags['no-optimize']) options.optimize = false;
  for (const name of ['threads', 'simd'] as const) {
    if (flags[name] !== undefined && backend !== 'wasm') throw new UsageError(`--${name} applies to the wasm backend, not "${backend}"`);
  }
  if (flags.threads !== undefined) {
    const raw = flags.threads as string;
    if (!/^[1-9]\d*$/.test(raw)) throw new UsageError(`--threads must be a positive integer, got "${raw}"`);
    options.threads = Number(raw);
  }
  if (flags.simd !== undefined) {
    if (!['auto', 'plain', 'relaxed'].includes(flags.simd as string)) throw new UsageError(`--simd must be auto, plain or relaxed, got "${flags.simd}"`);
    options.simd = flags.simd;
  }
  return options as CompileOptions;
}

export async function runCommand(flags: ParsedFlags): Promise<void> {
  const backend = await pickBackend(flags.backend as string | undefined);
  const files = { config: flags.config as string, weights: flags.weights as string, inputs: flags.inputs as string };
  await finish('run', flags, backend.name, await runFiles(files, backend, compileOptions(flags, backend.name)));
}

export async function generateCommand(flags: ParsedFlags): Promise<void> {
  const backend = await pickBackend(flags.backend as string | undefined);
  const files = { config: flags.config as string, weights: flags.weights as string, inputs: flags.inputs as string };
  await finish('generate', flags, backend.name, await generateFiles(files, backend, compileOptions(flags, backend.name)));
}
