// A small, strict argument parser: `--name value` and boolean `--flag`, each declared per command.
// Unknown flags, missing values and repeated flags are errors naming the flag.

export interface FlagSpec {
  readonly kind: 'string' | 'boolean' | 'list';
  readonly help: string;
  readonly required?: boolean;
  readonly metavar?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
export type ParsedFlags = Record<string, string | boolean | string[] | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const out: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (spec.kind === 'list') {
      out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    } else {
      if (out[name] !== undefined) throw new UsageError(`--${name} is given twice`);
      out[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && out[name] === undefined) throw new UsageError(`missing required option --${name}`);
  }
  return out;
}

export function formatHelp(usage: string, summary: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  --${name}${s.kind === 'boolean' ? '' : ` ${s.metavar ?? name.toUpperCase()}`}`;
    return `${left.padEnd(30)} ${s.help}${s.required ? ' (required)' : ''}`;
  });
  return [`usage: ${usage}`, '', summary, '', 'options:', ...rows, `  ${'--help'.padEnd(28)} show this help`].join('\n') + '\n';
}
