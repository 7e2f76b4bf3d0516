// Strict safetensors parsing: the header checks, the error type, and conversion of an entry to a
// Tensor (zero-copy where alignment allows). The public entry points are re-exported by safetensors.ts.
// Format: u64 LE header length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}, __metadata__?},
// then the data section, which the tensors must cover exactly: no overlaps, gaps or trailing bytes.

import type { Tensor } from './tensor.ts';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'BOOL';

export const ST_ITEMSIZE: { readonly [D in SafetensorsDType]: number } = {
  F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, BOOL: 1,
};
const ST_DTYPES = Object.keys(ST_ITEMSIZE) as SafetensorsDType[];
export const MAX_HEADER_BYTES = 100_000_000;
const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'];

/** A malformed file or an invalid tensor: names the file (or '<buffer>') and the tensor when there is one. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(readonly file: string, readonly tensor: string | undefined, readonly reason: string, options?: ErrorOptions) {
    super(`${file}: ${tensor === undefined ? '' : `tensor ${JSON.stringify(tensor)}: `}${reason}`, options);
  }
}

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** A view into the file buffer, no copy. */
  bytes: Uint8Array;
  /** The file label the entry came from, for error messages; '<buffer>' when absent. */
  file?: string;
}

export interface SafetensorsContents {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export function requireLittleEndian(file: string): void {
  if (!LITTLE_ENDIAN) throw new SafetensorsError(file, undefined, 'big-endian hosts are not supported');
}

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && (ST_DTYPES as string[]).includes(s);
}

/** A short rendering of a JSON value for messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Exact byte count of a shape in a dtype, as a bigint so huge shapes cannot round. */
export function neededBytes(shape: readonly number[], dtype: SafetensorsDType): bigint {
  return shape.reduce((acc, d) => acc * BigInt(d), 1n) * BigInt(ST_ITEMSIZE[dtype]);
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

interface RawEntry { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }

export function parseSafetensors(buf: Uint8Array, file = '<buffer>'): SafetensorsContents {
  requireLittleEndian(file);
  const { header, dataStart } = readHeader(buf, file);
  const dataLen = buf.length - dataStart;
  const raw: RawEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') metadata = checkMetadata(value, file);
    else raw.push(checkEntry(name, value, dataLen, file));
  }
  checkCoverage(raw, dataLen, file);
  const entries = new Map<string, SafetensorsEntry>();
  for (const r of raw) {
    const bytes = buf.subarray(dataStart + r.begin, dataStart + r.end);
    entries.set(r.name, { name: r.name, dtype: r.dtype, shape: r.shape, bytes: plainView(bytes), file });
  }
  return { entries, metadata };
}

/** A plain Uint8Array over the same memory (a Buffer's subarray would be a Buffer). */
function plainView(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function readHeader(buf: Uint8Array, file: string): { header: Record<string, unknown>; dataStart: number } {
  const fail = (reason: string) => new SafetensorsError(file, undefined, reason);
  if (buf.length < 8) throw fail(`file is ${buf.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw fail(`header length ${n} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  if (n > BigInt(buf.length - 8)) {
    throw fail(`header length ${n} runs past the end of the file (only ${buf.length - 8} bytes follow the length)`);
  }
  const end = 8 + Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(8, end));
  } catch {
    throw fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fail(`header must be a JSON object, got ${describe(header)}`);
  }
  if (!text.startsWith('{')) throw fail('header must start with "{" (no leading whitespace)');
  checkDuplicateKeys(text, file);
  return { header: header as Record<string, unknown>, dataStart: end };
}

function checkMetadata(value: unknown, file: string): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(file, undefined, `__metadata__ must be an object of strings, got ${describe(value)}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(file, undefined, `__metadata__ value for ${JSON.stringify(k)} must be a string, got ${describe(v)}`);
    }
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function checkEntry(name: string, value: unknown, dataLen: number, file: string): RawEntry {
  const fail = (reason: string) => new SafetensorsError(file, name, reason);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`header entry must be an object with dtype, shape and data_offsets, got ${describe(value)}`);
  }
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!ENTRY_FIELDS.includes(k)) throw fail(`header entry has unknown field ${JSON.stringify(k)} (expected dtype, shape, data_offsets)`);
  }
  for (const k of ENTRY_FIELDS) if (!(k in v)) throw fail(`header entry is missing "${k}"`);
  const dtype = v.dtype;
  if (typeof dtype !== 'string') throw fail(`dtype must be a string, got ${describe(dtype)}`);
  if (!isSafetensorsDType(dtype)) throw fail(`unsupported dtype ${JSON.stringify(dtype)} (expected one of ${ST_DTYPES.join(', ')})`);
  const shape = checkShape(v.shape, fail);
  const [begin, end] = checkOffsets(v.data_offsets, fail);
  const need = neededBytes(shape, dtype);
  if (BigInt(end - begin) !== need) {
    throw fail(`data_offsets [${begin}, ${end}] give ${end - begin} bytes, but dtype ${dtype} shape ${shapeText(shape)} needs ${need}`);
  }
  if (end > dataLen) {
    throw fail(`data_offsets [${begin}, ${end}] run past the end of the ${dataLen}-byte data section (file truncated?)`);
  }
  return { name, dtype, shape, begin, end };
}

function checkShape(shape: unknown, fail: (reason: string) => SafetensorsError): number[] {
  if (!Array.isArray(shape)) throw fail(`shape must be an array of non-negative integers, got ${describe(shape)}`);
  shape.forEach((d: unknown, i) => {
    if (!isNonNegInt(d)) throw fail(`shape[${i}] must be a non-negative integer, got ${describe(d)}`);
  });
  return [...(shape as number[])];
}

function checkOffsets(offsets: unknown, fail: (reason: string) => SafetensorsError): [number, number] {
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw fail(`data_offsets must be [begin, end], two integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as unknown[];
  if (!isNonNegInt(begin)) throw fail(`data_offsets begin must be a non-negative integer, got ${describe(begin)}`);
  if (!isNonNegInt(end)) throw fail(`data_offsets end must be a non-negative integer, got ${describe(end)}`);
  if (begin > end) throw fail(`data_offsets [${begin}, ${end}] have begin after end`);
  return [begin, end];
}

/** The tensors must tile the data section exactly, as the reference implementation requires. */
function checkCoverage(raw: RawEntry[], dataLen: number, file: string): void {
  const sorted = [...raw].sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : 1));
  let cursor = 0;
  let prev: RawEntry | undefined;
  for (const r of sorted) {
    const at = `data_offsets [${r.begin}, ${r.end}]`;
    if (r.begin < cursor && prev) {
      throw new SafetensorsError(file, r.name, `${at} overlap tensor ${JSON.stringify(prev.name)} at [${prev.begin}, ${prev.end}]`);
    }
    if (r.begin > cursor) {
      throw new SafetensorsError(file, r.name, `${at} leave a gap: bytes [${cursor}, ${r.begin}) of the data section belong to no tensor`);
    }
    cursor = r.end;
    prev = r;
  }
  if (cursor !== dataLen) {
    throw new SafetensorsError(file, undefined, `${dataLen - cursor} unused bytes after the last tensor (data section is ${dataLen} bytes, tensors end at ${cursor})`);
  }
}

/** JSON.parse keeps the last of duplicate keys; scan the (already valid) text to reject them. */
function checkDuplicateKeys(text: string, file: string): void {
  const stack: { keys: Set<string> | null; last?: string }[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push({ keys: c === '{' ? new Set() : null });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1].keys !== null;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (expectKey) noteKey(stack, JSON.parse(text.slice(i, end + 1)) as string, file);
      expectKey = false;
      i = end;
    }
  }
}

function noteKey(stack: { keys: Set<string> | null; last?: string }[], key: string, file: string): void {
  const top = stack[stack.length - 1];
  if (top.keys!.has(key)) {
    if (stack.length === 1) throw new SafetensorsError(file, key, 'appears twice in the header');
    const owner = stack[0].last;
    const tensor = owner === '__metadata__' ? undefined : owner;
    const where = owner === '__metadata__' ? '__metadata__' : 'its header entry';
    throw new SafetensorsError(file, tensor, `duplicate key ${JSON.stringify(key)} in ${where}`);
  }
  top.keys!.add(key);
  top.last = key;
}

function stringEnd(text: string, start: number): number {
  let j = start + 1;
  while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j;
}
