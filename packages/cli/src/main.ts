// The `smelt` command: dispatches to run, generate, compile, inspect and import.
// Errors print one line naming the problem and exit non-zero; nothing is written then.

import { UsageError, formatHelp, parseFlags, type FlagSpecs, type ParsedFlags } from './args.ts';
import { COMPILE_FLAGS, compileCommand } from './compile.ts';
import { IMPORT_FLAGS, importCommand } from './import.ts';
import { INSPECT_FLAGS, inspectCommand } from './inspect.ts';
import { GENERATE_FLAGS, RUN_FLAGS, generateCommand, runCommand } from './run-commands.ts';

interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly flags: FlagSpecs;
  readonly action: (flags: ParsedFlags) => Promise<void>;
  /** The flag a leading argument without `--` stands for (`smelt import model.onnx`). */
  readonly positional?: string;
}

const COMMANDS: Record<string, Command> = {
  run: {
    usage: 'smelt run (--config C.json --weights W.safetensors | --model M.onnx|.smelt|.json|.ts) --inputs I.safetensors --out O.safetensors [--backend B] [--threads N]',
    summary: 'Run the model once (seq2seq: teacher forcing) and write its outputs: `out` or `logits` (gpt2, bert, llama: `logits`); a --model\'s outputs by its own names.',
    flags: RUN_FLAGS,
    action: runCommand,
  },
  generate: {
    usage: 'smelt generate (--config C.json --weights W.safetensors | --model LM | --model ENCODER --decoder DECODER --bos ID) --inputs I.safetensors --out O.safetensors [--backend B] [--strategy greedy|sample|beam] [--max-new-tokens N] [--stream]',
    summary: 'Decode with a seq2seq model and its key/value cache (greedy unless --strategy says otherwise): writes `tokens` i32 [batch, 1 + steps] (bos first). A tgt input is ignored. A gpt2 or llama config continues its input_ids greedily with the cache (--max-new-tokens required): `tokens` i32 [batch, seq + steps]. A --model of your own decodes greedily by full prefix (--max-new-tokens required): a causal LM (one token-id input, logits out) continues the ids in --inputs (`tokens` [batch, seq + steps]); a seq2seq pair (--model ENCODER --decoder DECODER --bos ID: the encoder reads --inputs by its input names and gives one output, the memory; the decoder takes the memory and the target ids and gives logits) writes `tokens` [batch, 1 + steps].',
    flags: GENERATE_FLAGS,
    action: generateCommand,
  },
  compile: {
    usage: 'smelt compile (--config C.json | --model PATH) --target js|wasm|webgpu|onnx --out DIR [--weights W.safetensors] [--graph model|encoder|decoder] [--mask src|tgt]',
    summary: 'Export the model ahead of time: a folder (model.js, model.d.ts, the weights, and .wasm or .wgsl files) that runs without smelt; with --target onnx, DIR/model.onnx (ONNX opset 17: the optimized graph, fused ops as standard ONNX ops, the model\'s own value names).',
    flags: COMPILE_FLAGS,
    action: compileCommand,
  },
  inspect: {
    usage: 'smelt inspect (--config C.json | --model PATH) [--after PASS] [--format text|dot|json|html] [--disable PASS] [--dump-after PASS|all]',
    summary: 'Compile the model and print the optimized IR with stats, a Graphviz graph, or JSON stats.',
    flags: INSPECT_FLAGS,
    action: inspectCommand,
  },
  import: {
    usage: 'smelt import M.onnx --out DIR',
    summary: 'Import an ONNX model as smelt files: DIR/model.smelt (the IR text) and DIR/weights.safetensors (written together or not at all).',
    flags: IMPORT_FLAGS,
    action: importCommand,
    positional: 'model',
  },
};

function topHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['usage: smelt <command> [options]', '', 'commands:', ...rows, '', 'Run `smelt <command> --help` for its options.'].join('\n') + '\n';
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`smelt: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(formatHelp(command.usage, command.summary, command.flags));
    return 0;
  }
  try {
    const args = command.positional && rest.length > 0 && !rest[0].startsWith('--') ? [`--${command.positional}`, ...rest] : rest;
    await command.action(parseFlags(args, command.flags));
    return 0;
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`smelt ${name}: error: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`run \`smelt ${name} --help\` for usage\n`);
    if (process.env.SMELT_DEBUG) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
