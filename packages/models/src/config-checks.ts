// The checks every model config goes through (config.ts for the Transformer models, gpt2.ts, bert.ts
// and llama.ts for the zoo): each key's value against what it must be, unknown and missing keys, and
// ConfigError, whose message names the file, the key, what it must be and what it was.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The largest value of each size key, and of the weight elements a model may hold in all. */
export const LIMITS = {
  dModel: 65536,
  dimFeedforward: 1 << 20,
  numEncoderLayers: 1024,
  numDecoderLayers: 1024,
  srcVocab: 1 << 24,
  tgtVocab: 1 << 24,
  /** The positional table's length, so the longest sequence. */
  maxLen: 65536,
  /**
   * Weight elements plus the positional table: 2^28 f32 values are 1 GiB. wasm keeps the weights and
   * their packed GEMM copies in one memory of at most 2 GiB addressed with 32-bit offsets.
   */
  weightElements: 2 ** 28,
} as const;

/** What a value must be, or undefined when it is that. */
export type Check = (v: unknown) => string | undefined;

const isInt = (v: unknown, lo: number, hi: number) => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
export const positiveInt = (max: number): Check => (v) => (isInt(v, 1, max) ? undefined : `a positive integer at most ${max}`);
export const nonNegativeInt = (max: number): Check => (v) => (isInt(v, 0, max) ? undefined : `a non-negative integer at most ${max}`);
export const positiveNumber: Check = (v) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? undefined : 'a positive number');
export const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
export const oneOf = (...xs: string[]): Check => (v) => (xs.includes(v as string) ? undefined : `one of ${xs.map((x) => JSON.stringify(x)).join(', ')}`);

// Own keys only throughout: `in` would also find Object.prototype's "constructor", "toString",
// "__proto__"…, letting such a key pass as known (and a missing key pass as present).
export function checkKeys(raw: Record<string, unknown>, required: Record<string, Check>, optional: Record<string, Check>, file: string): void {
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(required, key) && !Object.hasOwn(optional, key)) {
      throw new ConfigError(`${file}: unknown config key ${JSON.stringify(key)} (expected one of ${[...Object.keys(required), ...Object.keys(optional)].join(', ')})`);
    }
  }
  for (const key of Object.keys(required)) {
    if (!Object.hasOwn(raw, key)) throw new ConfigError(`${file}: missing config key "${key}"`);
  }
  for (const [key, check] of Object.entries({ ...required, ...optional })) {
    if (!Object.hasOwn(raw, key)) continue;
    const want = check(raw[key]);
    if (want) throw new ConfigError(`${file}: config key "${key}" must be ${want}, got ${JSON.stringify(raw[key])}`);
  }
}

/** Heads that split the width evenly: dModel % nHead, and kvHeads dividing nHead when given. */
export function checkHeads(file: string, dModel: number, nHead: number, kv?: { readonly key: string; readonly value: number }): void {
  if (dModel % nHead !== 0) throw new ConfigError(`${file}: dModel ${dModel} must be divisible by nHead ${nHead}`);
  if (kv && nHead % kv.value !== 0) throw new ConfigError(`${file}: ${kv.key} ${kv.value} must divide nHead ${nHead}`);
}
