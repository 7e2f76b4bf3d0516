// Tests of safetensors reading and writing: round trips of every dtype, zero-copy loads,
// deterministic bytes, atomic writes, one test per malformed-file check with its exact message,
// and a seeded fuzz run that must end in either a parse or a SafetensorsError.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './dtype.ts';
import { SafetensorsError, entryToTensor, parseSafetensors, serializeSafetensors, type SafetensorsEntry } from './safetensors.ts';
import { readSafetensors, readSafetensorsEntries, writeSafetensors } from './safetensors-file.ts';
import { type Tensor, tensor } from './tensor.ts';

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'smelt-st-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A file from raw header text and data; `len` overrides the header length prefix. */
function build(header: string, data: Uint8Array | number = 0, len?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, len ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function bytesOf(header: Record<string, unknown>, data: Uint8Array | number = 0): Uint8Array {
  return build(JSON.stringify(header), data);
}

function caught(fn: () => unknown): SafetensorsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw new Error(`expected a SafetensorsError, got ${String(e)}`);
  }
  throw new Error('expected a SafetensorsError, nothing was thrown');
}

function expectError(fn: () => unknown, message: string, tensorName?: string): void {
  const e = caught(fn);
  expect(e.message).toBe(message);
  expect(e.tensor).toBe(tensorName);
}

/** An f32 tensor, unchecked, so tests can also build ones whose data does not match the shape. */
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'f32', shape, data: Float32Array.from(values) });

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['w.f32', f32([2, 3], [1, -2, 3.5, 0, -0, 1e-30])],
    ['w.f16', tensor('f16', [3], Uint16Array.from([0x3c00, 0xc000, 0x7c00]))],
    ['ids.i32', tensor('i32', [2, 2], Int32Array.from([0, -1, 2147483647, -2147483648]))],
    ['ids.i64', tensor('i64', [3], BigInt64Array.from([0n, -(2n ** 62n), 2n ** 63n - 1n]))],
    ['bytes.u8', tensor('u8', [5], Uint8Array.from([0, 1, 127, 128, 255]))],
    ['mask', tensor('bool', [1, 3], Uint8Array.from([1, 0, 1]))],
    ['scalar', f32([], [42])],
    ['empty', tensor('i32', [0, 4])],
  ]);
}

describe('round trip', () => {
  it('keeps every IR dtype, shape and value, and the metadata', () => {
    const src = sample();
    const buf = serializeSafetensors(src, { metadata: { format: 'pt', note: 'ünïcode' } });
    const { entries, metadata } = parseSafetensors(buf);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect([...entries.values()].map((e) => e.dtype).sort()).toEqual(['BOOL', 'F16', 'F32', 'F32', 'I32', 'I32', 'I64', 'U8']);
    for (const [name, t] of src) {
      const back = entryToTensor(entries.get(name)!);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
    expect(Object.is((entryToTensor(entries.get('w.f32')!).data as Float32Array)[4], -0)).toBe(true);
  });

  it('writes f32 as F16 with round-to-nearest-even and loads it as raw half bits', () => {
    const values = [1, 0.1, 65504, 65520, 1e-8, -2.5, Infinity, -Infinity, 2 ** -24, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
    const buf = serializeSafetensors({ h: f32([values.length], values) }, { dtypes: { h: 'F16' } });
    const e = parseSafetensors(buf).entries.get('h')!;
    expect(e.dtype).toBe('F16');
    const t = entryToTensor(e);
    expect(t.dtype).toBe('f16');
    expect(Array.from(t.data as Uint16Array)).toEqual(values.map(f32ToF16Bits));
    const back = Array.from(t.data as Uint16Array, f16BitsToF32);
    expect(back.slice(0, 3)).toEqual([1, Math.fround(0.0999755859375), 65504]);
    expect(back[3]).toBe(Infinity); // 65520 is halfway to the next power: rounds up, overflows
    expect(back[9]).toBe(1); // halfway between 1 and 1+2^-10: ties to even
    expect(back[10]).toBe(1 + 2 ** -9);
    const nan = serializeSafetensors({ n: f32([1], [NaN]) }, { dtypes: { n: 'F16' } });
    expect(Number.isNaN(f16BitsToF32((entryToTensor(parseSafetensors(nan).entries.get('n')!).data as Uint16Array)[0]))).toBe(true);
  });

  it('writes f32 as BF16 (ties to even) and loads BF16 as f32', () => {
    const values = [1, -3.140625, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38, 1e-40, Infinity, NaN];
    const buf = serializeSafetensors({ b: f32([2, 4], values) }, { dtypes: { b: 'BF16' } });
    const e = parseSafetensors(buf).entries.get('b')!;
    expect(e.dtype).toBe('BF16');
    expect(e.bytes.length).toBe(16);
    const t = entryToTensor(e);
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([2, 4]);
    const got = Array.from(t.data as Float32Array);
    expect(got).toEqual(values.map((v) => bf16BitsToF32(f32ToBf16Bits(v))));
    expect(got.slice(0, 4)).toEqual([1, -3.140625, 1, 1 + 2 ** -6]);
    expect(Number.isNaN(got[7])).toBe(true);
  });

  it('round-trips through files with writeSafetensors / readSafetensors', () => {
    const file = path.join(tmpDir(), 'model.safetensors');
    writeSafetensors(file, sample(), { metadata: { a: 'b' } });
    const back = readSafetensors(file);
    expect([...back.keys()].sort()).toEqual([...sample().keys()].sort());
    expect(Array.from(back.get('ids.i64')!.data as BigInt64Array)).toEqual([0n, -(2n ** 62n), 2n ** 63n - 1n]);
    const { entries, metadata } = readSafetensorsEntries(file);
    expect(metadata).toEqual({ a: 'b' });
    expect(entries.get('w.f32')!.shape).toEqual([2, 3]);
    expect(entries.get('w.f32')!.file).toBe('model.safetensors');
  });

  it('handles a file with no tensors', () => {
    const buf = serializeSafetensors({});
    expect(new TextDecoder().decode(buf.subarray(8))).toBe('{}      ');
    expect(parseSafetensors(buf).entries.size).toBe(0);
  });

  it('accepts a header padded with trailing spaces and null __metadata__', () => {
    const buf = build('{"__metadata__":null,"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}     ', Uint8Array.of(7, 9));
    const { entries, metadata } = parseSafetensors(buf);
    expect(metadata).toEqual({});
    expect(Array.from(entryToTensor(entries.get('x')!).data as Uint8Array)).toEqual([7, 9]);
  });
});

describe('zero-copy', () => {
  it('returns typed arrays over the file buffer when aligned', () => {
    const buf = serializeSafetensors(sample());
    const { entries } = parseSafetensors(buf);
    for (const e of entries.values()) {
      expect(e.bytes.buffer).toBe(buf.buffer);
      expect(entryToTensor(e).data.buffer).toBe(buf.buffer);
    }
    // and a write into the file buffer shows through the tensor
    const t = entryToTensor(entries.get('w.f32')!);
    new Float32Array(buf.buffer, entries.get('w.f32')!.bytes.byteOffset, 1)[0] = 99;
    expect((t.data as Float32Array)[0]).toBe(99);
  });

  it('aligns every tensor even when names sort small items first', () => {
    const buf = serializeSafetensors({ a: tensor('u8', [3], Uint8Array.of(1, 2, 3)), b: tensor('i64', [1], BigInt64Array.of(5n)), c: f32([1], [2]) });
    const { entries } = parseSafetensors(buf);
    for (const e of entries.values()) expect(entryToTensor(e).data.buffer).toBe(buf.buffer);
  });

  it('copies once when the view is misaligned', () => {
    const file = serializeSafetensors(sample());
    const big = new Uint8Array(file.length + 1);
    big.set(file, 1);
    const { entries } = parseSafetensors(big.subarray(1));
    const t = entryToTensor(entries.get('w.f32')!);
    expect(t.data.buffer).not.toBe(big.buffer);
    expect(Array.from(t.data as Float32Array)).toEqual(Array.from(sample().get('w.f32')!.data as Float32Array));
    expect(Array.from(entryToTensor(entries.get('ids.i64')!).data as BigInt64Array)).toEqual([0n, -(2n ** 62n), 2n ** 63n - 1n]);
    expect(entryToTensor(entries.get('bytes.u8')!).data.buffer).toBe(big.buffer);
  });
});

describe('deterministic bytes', () => {
  it('does not depend on insertion order or container', () => {
    const entriesList = [...sample()];
    const a = serializeSafetensors(new Map(entriesList));
    const b = serializeSafetensors(new Map([...entriesList].reverse()));
    const c = serializeSafetensors(Object.fromEntries([...entriesList].reverse()));
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
    expect(Number(new DataView(a.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });

  it('writes the exact expected header: sorted names, metadata first, space padding', () => {
    const buf = serializeSafetensors({ b: f32([2], [1, 2]), a: tensor('u8', [3], Uint8Array.of(1, 2, 3)) }, { metadata: { z: '1', y: '2' } });
    const json = '{"__metadata__":{"y":"2","z":"1"},"a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const n = Math.ceil(json.length / 8) * 8;
    expect(Number(new DataView(buf.buffer).getBigUint64(0, true))).toBe(n);
    expect(new TextDecoder().decode(buf.subarray(8, 8 + n))).toBe(json.padEnd(n, ' '));
    expect(Array.from(buf.subarray(8 + n))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 1, 2, 3]);
  });
});

describe('atomic writes', () => {
  it('leaves an existing file untouched and no temp file when serialization fails', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'out.safetensors');
    writeSafetensors(file, { x: f32([1], [1]) });
    const before = fs.readFileSync(file);
    expectError(() => writeSafetensors(file, { x: f32([2], [1]) }), 'out.safetensors: tensor "x": data has 1 elements, but shape [2] needs 2', 'x');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['out.safetensors']);
  });

  it('cleans up the temp file when the rename fails', () => {
    const dir = tmpDir();
    const target = path.join(dir, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    const e = caught(() => writeSafetensors(target, { x: f32([1], [1]) }));
    expect(e.message).toMatch(/^taken: cannot write .*taken: (EISDIR|ENOTEMPTY|EEXIST)$/);
    expect(fs.readdirSync(dir)).toEqual(['taken']);
  });

  it('reports a missing folder', () => {
    const file = path.join(tmpDir(), 'nope', 'o.safetensors');
    expectError(() => writeSafetensors(file, {}), `o.safetensors: cannot write ${file}: ENOENT`);
  });
});

describe('malformed files: each check names the file, the tensor and what is wrong', () => {
  const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });

  it('file shorter than the length prefix', () => {
    expectError(() => parseSafetensors(new Uint8Array(5), 'w.safetensors'), 'w.safetensors: file is 5 bytes, too short for the 8-byte header length');
  });

  it('absurd header length', () => {
    expectError(() => parseSafetensors(build('{}', 0, 200_000_000n)), '<buffer>: header length 200000000 is over the limit of 100000000 bytes');
    expectError(() => parseSafetensors(build('{}', 0, 2n ** 64n - 1n)), '<buffer>: header length 18446744073709551615 is over the limit of 100000000 bytes');
  });

  it('header length beyond the file', () => {
    expectError(() => parseSafetensors(build('{}', 0, 1000n)), '<buffer>: header length 1000 runs past the end of the file (only 2 bytes follow the length)');
  });

  it('header not UTF-8, not JSON, not an object', () => {
    const bad = build('{}');
    bad[9] = 0xff;
    expectError(() => parseSafetensors(bad), '<buffer>: header is not valid UTF-8');
    expect(caught(() => parseSafetensors(build('{"a":'))).message).toMatch(/^<buffer>: header is not valid JSON: /);
    expect(caught(() => parseSafetensors(build(''))).message).toMatch(/^<buffer>: header is not valid JSON: /);
    expectError(() => parseSafetensors(build('[1,2]')), '<buffer>: header must be a JSON object, got [1,2]');
    expectError(() => parseSafetensors(build('null')), '<buffer>: header must be a JSON object, got null');
    expectError(() => parseSafetensors(build(' {}')), '<buffer>: header must start with "{" (no leading whitespace)');
  });

  it('entry not an object', () => {
    expectError(() => parseSafetensors(bytesOf({ w: 5 })), '<buffer>: tensor "w": header entry must be an object with dtype, shape and data_offsets, got 5', 'w');
    expectError(() => parseSafetensors(bytesOf({ w: [1] })), '<buffer>: tensor "w": header entry must be an object with dtype, shape and data_offsets, got [1]', 'w');
  });

  it('missing, wrong-typed and unknown fields', () => {
    expectError(() => parseSafetensors(bytesOf({ w: { dtype: 'F32', shape: [1] } }, 4)), '<buffer>: tensor "w": header entry is missing "data_offsets"', 'w');
    expectError(() => parseSafetensors(bytesOf({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4)), '<buffer>: tensor "w": header entry is missing "shape"', 'w');
    expectError(() => parseSafetensors(bytesOf({ w: { ...entry('F32', [1], [0, 4]), extra: 1 } }, 4)), '<buffer>: tensor "w": header entry has unknown field "extra" (expected dtype, shape, data_offsets)', 'w');
    expectError(() => parseSafetensors(bytesOf({ w: { dtype: 5, shape: [1], data_offsets: [0, 4] } }, 4)), '<buffer>: tensor "w": dtype must be a string, got 5', 'w');
  });

  it('unknown dtype', () => {
    expectError(() => parseSafetensors(bytesOf({ w: entry('F64', [1], [0, 8]) }, 8)), '<buffer>: tensor "w": unsupported dtype "F64" (expected one of F32, F16, BF16, I32, I64, U8, BOOL)', 'w');
    expectError(() => parseSafetensors(bytesOf({ w: entry('f32', [1], [0, 4]) }, 4)), '<buffer>: tensor "w": unsupported dtype "f32" (expected one of F32, F16, BF16, I32, I64, U8, BOOL)', 'w');
  });

  it('shape not an array of non-negative safe integers', () => {
    const withShape = (shape: unknown) => bytesOf({ w: { dtype: 'U8', shape, data_offsets: [0, 0] } });
    expectError(() => parseSafetensors(withShape('2x3')), '<buffer>: tensor "w": shape must be an array of non-negative integers, got "2x3"', 'w');
    expectError(() => parseSafetensors(withShape([2, -3])), '<buffer>: tensor "w": shape[1] must be a non-negative integer, got -3', 'w');
    expectError(() => parseSafetensors(withShape([1.5])), '<buffer>: tensor "w": shape[0] must be a non-negative integer, got 1.5', 'w');
    expectError(() => parseSafetensors(withShape(['3'])), '<buffer>: tensor "w": shape[0] must be a non-negative integer, got "3"', 'w');
    expectError(() => parseSafetensors(build('{"w":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,0]}}')), '<buffer>: tensor "w": shape[0] must be a non-negative integer, got 9007199254740992', 'w');
  });

  it('data_offsets not two ordered integers', () => {
    const withOffsets = (o: unknown) => bytesOf({ w: { dtype: 'U8', shape: [4], data_offsets: o } }, 4);
    expectError(() => parseSafetensors(withOffsets([0])), '<buffer>: tensor "w": data_offsets must be [begin, end], two integers, got [0]', 'w');
    expectError(() => parseSafetensors(withOffsets({ begin: 0 })), '<buffer>: tensor "w": data_offsets must be [begin, end], two integers, got {"begin":0}', 'w');
    expectError(() => parseSafetensors(withOffsets([0.5, 4])), '<buffer>: tensor "w": data_offsets begin must be a non-negative integer, got 0.5', 'w');
    expectError(() => parseSafetensors(withOffsets([0, '4'])), '<buffer>: tensor "w": data_offsets end must be a non-negative integer, got "4"', 'w');
    expectError(() => parseSafetensors(withOffsets([-4, 0])), '<buffer>: tensor "w": data_offsets begin must be a non-negative integer, got -4', 'w');
    expectError(() => parseSafetensors(withOffsets([4, 0])), '<buffer>: tensor "w": data_offsets [4, 0] have begin after end', 'w');
  });

  it('byte count that does not match dtype and shape', () => {
    const name = 'encoder.layers.0.linear1.weight';
    const buf = bytesOf({ [name]: entry('F32', [5, 6], [0, 100]) }, 100);
    expectError(() => parseSafetensors(buf, 'weights.safetensors'),
      'weights.safetensors: tensor "encoder.layers.0.linear1.weight": data_offsets [0, 100] give 100 bytes, but dtype F32 shape [5, 6] needs 120', name);
    expectError(() => parseSafetensors(bytesOf({ w: entry('I64', [2 ** 40, 2 ** 40], [0, 8]) }, 8)),
      '<buffer>: tensor "w": data_offsets [0, 8] give 8 bytes, but dtype I64 shape [1099511627776, 1099511627776] needs 9671406556917033397649408', 'w');
  });

  it('truncated file', () => {
    const full = serializeSafetensors({ a: f32([4], [1, 2, 3, 4]), b: f32([2], [5, 6]) });
    expectError(() => parseSafetensors(full.subarray(0, full.length - 4), 'm.safetensors'),
      'm.safetensors: tensor "b": data_offsets [16, 24] run past the end of the 20-byte data section (file truncated?)', 'b');
  });

  it('overlapping tensors', () => {
    const buf = bytesOf({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12);
    expectError(() => parseSafetensors(buf), '<buffer>: tensor "b": data_offsets [4, 12] overlap tensor "a" at [0, 8]', 'b');
    const same = bytesOf({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [0, 8]) }, 8);
    expectError(() => parseSafetensors(same), '<buffer>: tensor "b": data_offsets [0, 8] overlap tensor "a" at [0, 8]', 'b');
  });

  it('gaps and unused trailing bytes', () => {
    expectError(() => parseSafetensors(bytesOf({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [12, 20]) }, 20)),
      '<buffer>: tensor "b": data_offsets [12, 20] leave a gap: bytes [8, 12) of the data section belong to no tensor', 'b');
    expectError(() => parseSafetensors(bytesOf({ a: entry('F32', [2], [4, 12]) }, 12)),
      '<buffer>: tensor "a": data_offsets [4, 12] leave a gap: bytes [0, 4) of the data section belong to no tensor', 'a');
    expectError(() => parseSafetensors(bytesOf({ a: entry('F32', [2], [0, 8]) }, 12)),
      '<buffer>: 4 unused bytes after the last tensor (data section is 12 bytes, tensors end at 8)');
    expectError(() => parseSafetensors(bytesOf({}, 3)), '<buffer>: 3 unused bytes after the last tensor (data section is 3 bytes, tensors end at 0)');
  });

  it('zero-size tensors may share a position', () => {
    const buf = bytesOf({ a: entry('F32', [0], [0, 0]), b: entry('F32', [0, 3], [0, 0]), c: entry('U8', [1], [0, 1]) }, 1);
    expect(parseSafetensors(buf).entries.size).toBe(3);
  });

  it('metadata that is not string to string', () => {
    expectError(() => parseSafetensors(bytesOf({ __metadata__: [1] })), '<buffer>: __metadata__ must be an object of strings, got [1]');
    expectError(() => parseSafetensors(bytesOf({ __metadata__: 'x' })), '<buffer>: __metadata__ must be an object of strings, got "x"');
    expectError(() => parseSafetensors(bytesOf({ __metadata__: { k: 1 } })), '<buffer>: __metadata__ value for "k" must be a string, got 1');
    expectError(() => parseSafetensors(bytesOf({ __metadata__: { k: { a: 'b' } } })), '<buffer>: __metadata__ value for "k" must be a string, got {"a":"b"}');
  });

  it('duplicate keys', () => {
    const e = '{"dtype":"U8","shape":[0],"data_offsets":[0,0]}';
    expectError(() => parseSafetensors(build(`{"a":${e},"a":${e}}`)), '<buffer>: tensor "a": appears twice in the header', 'a');
    expectError(() => parseSafetensors(build(`{"a\\"b":${e}, "a\\u0022b" : ${e}}`)), '<buffer>: tensor "a\\"b": appears twice in the header', 'a"b');
    expectError(() => parseSafetensors(build('{"a":{"dtype":"U8","dtype":"U8","shape":[0],"data_offsets":[0,0]}}')),
      '<buffer>: tensor "a": duplicate key "dtype" in its header entry', 'a');
    expectError(() => parseSafetensors(build('{"__metadata__":{"k":"1","k":"2"}}')), '<buffer>: duplicate key "k" in __metadata__');
    // values equal to keys, and keys inside strings, are not duplicates
    const ok = build(`{"__metadata__":{"x":"a","y":"a","z":"{\\"x\\":1,\\"x\\":2}"},"a":${e},"b":${e}}`);
    expect(parseSafetensors(ok).metadata.z).toBe('{"x":1,"x":2}');
  });

  it('BOOL bytes other than 0 and 1', () => {
    const buf = bytesOf({ mask: entry('BOOL', [3], [0, 3]) }, Uint8Array.of(1, 2, 0));
    const { entries } = parseSafetensors(buf, 'in.safetensors');
    expectError(() => entryToTensor(entries.get('mask')!), 'in.safetensors: tensor "mask": BOOL value 2 at index 1; only 0 and 1 are allowed', 'mask');
  });

  it('hand-built entries whose bytes do not match their shape', () => {
    const e: SafetensorsEntry = { name: 'x', dtype: 'F32', shape: [3], bytes: new Uint8Array(8) };
    expectError(() => entryToTensor(e), '<buffer>: tensor "x": entry has 8 bytes, but dtype F32 shape [3] needs 12', 'x');
  });

  it('missing files name the file', () => {
    const file = path.join(tmpDir(), 'missing.safetensors');
    expectError(() => readSafetensors(file), `missing.safetensors: cannot read ${file}: ENOENT`);
  });

  it('errors from files read by path use the file name', () => {
    const file = path.join(tmpDir(), 'weights.safetensors');
    fs.writeFileSync(file, bytesOf({ w: entry('F32', [5, 6], [0, 100]) }, 100));
    expectError(() => readSafetensorsEntries(file), 'weights.safetensors: tensor "w": data_offsets [0, 100] give 100 bytes, but dtype F32 shape [5, 6] needs 120', 'w');
  });
});

describe('serialization checks', () => {
  it('rejects bad names, shapes, data and dtype requests', () => {
    expectError(() => serializeSafetensors({ '': f32([1], [1]) }), '<buffer>: tensor "": tensor names must be non-empty strings', '');
    expectError(() => serializeSafetensors({ __metadata__: f32([1], [1]) }),
      '<buffer>: tensor "__metadata__": "__metadata__" is reserved for the metadata and cannot name a tensor', '__metadata__');
    expectError(() => serializeSafetensors({ x: { dtype: 'f32', shape: [2, 2], data: new Float32Array(3) } }),
      '<buffer>: tensor "x": data has 3 elements, but shape [2, 2] needs 4', 'x');
    expectError(() => serializeSafetensors({ x: { dtype: 'f32', shape: [-1], data: new Float32Array(1) } }),
      '<buffer>: tensor "x": shape must be non-negative integers, got [-1]', 'x');
    expectError(() => serializeSafetensors({ x: { dtype: 'f32', shape: [2], data: new Float64Array(2) as unknown as Float32Array } }),
      '<buffer>: tensor "x": f32 data must be a Float32Array, got Float64Array', 'x');
    expectError(() => serializeSafetensors({ m: tensor('bool', [2], Uint8Array.of(0, 3)) }), '<buffer>: tensor "m": bool data must be 0 or 1, got 3 at index 1', 'm');
    expectError(() => serializeSafetensors({ i: tensor('i32', [1]) }, { dtypes: { i: 'F16' } }), '<buffer>: tensor "i": a i32 tensor can be written as I32, not F16', 'i');
    expectError(() => serializeSafetensors({ w: f32([1], [1]) }, { dtypes: { w: 'I32' } }), '<buffer>: tensor "w": a f32 tensor can be written as F32 or F16 or BF16, not I32', 'w');
    expectError(() => serializeSafetensors({ w: f32([1], [1]) }, { dtypes: { v: 'F16' } }), '<buffer>: tensor "v": dtypes option names a tensor that is not being written', 'v');
    expectError(() => serializeSafetensors({}, { metadata: { k: 5 as unknown as string } }), '<buffer>: metadata value for "k" must be a string, got 5');
  });
});

/** mulberry32: a tiny seeded PRNG, so the fuzz run is the same every time. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz', () => {
  const base = serializeSafetensors(
    {
      'enc.w': f32([3, 4], Array.from({ length: 12 }, (_, i) => i / 3)),
      'enc.h': f32([5], [1, 2, 3, 4, 5]),
      'enc.b': f32([2, 2], [1, -1, 0.5, 8]),
      ids: tensor('i64', [2], BigInt64Array.of(1n, 2n)),
      mask: tensor('bool', [4], Uint8Array.of(1, 0, 0, 1)),
      raw: tensor('u8', [3], Uint8Array.of(9, 8, 7)),
    },
    { metadata: { format: 'pt' }, dtypes: { 'enc.h': 'F16', 'enc.b': 'BF16' } },
  );
  const headerLen = Number(new DataView(base.buffer).getBigUint64(0, true));
  const tokens = ['{', '}', '[', ']', '"', ',', ':', '0', '1', '-1', '1e999', '0.5', ' ', 'null', '"F32"', '"BOOL"', '\\', '"x"', '[0,0]', '\u00e9'];

  function mutate(rand: () => number, input: Uint8Array): Uint8Array {
    const pick = (n: number) => Math.floor(rand() * n);
    let b = input.slice();
    switch (pick(5)) {
      case 0: // bit flips anywhere
        for (let k = 1 + pick(4); k > 0; k--) b[pick(b.length)] ^= 1 << pick(8);
        break;
      case 1: // truncation
        b = b.slice(0, pick(b.length));
        break;
      case 2: { // header-length edits
        const choices = [BigInt(headerLen + pick(33) - 16), BigInt(pick(2 ** 32)), 2n ** 64n - 1n - BigInt(pick(1000)), BigInt(pick(b.length + 8))];
        if (b.length >= 8) new DataView(b.buffer).setBigUint64(0, choices[pick(choices.length)], true);
        break;
      }
      case 3: { // header JSON text edits, with the length prefix kept in step or not
        if (b.length < 8) break;
        const hl = Math.min(Number(new DataView(b.buffer).getBigUint64(0, true)), b.length - 8);
        const text = new TextDecoder().decode(b.subarray(8, 8 + hl));
        const at = pick(text.length + 1);
        const edits = [
          () => text.slice(0, at) + text.slice(at + 1 + pick(4)),
          () => text.slice(0, at) + tokens[pick(tokens.length)] + text.slice(at),
          () => text.replace(/\d+/g, (m) => (rand() < 0.2 ? String(Number(m) + pick(9) - 4) : m)),
          () => text.replace(/"(F32|F16|BF16|I64|BOOL|U8)"/, `"${['F32', 'F16', 'BF16', 'I32', 'I64', 'U8', 'BOOL', 'F64'][pick(8)]}"`),
          () => text.slice(0, at) + text.slice(pick(text.length), pick(text.length)) + text.slice(at),
        ];
        const h = new TextEncoder().encode(edits[pick(edits.length)]());
        const rest = b.subarray(8 + hl);
        const out = new Uint8Array(8 + h.length + rest.length);
        new DataView(out.buffer).setBigUint64(0, BigInt(rand() < 0.8 ? h.length : hl), true);
        out.set(h, 8);
        out.set(rest, 8 + h.length);
        b = out;
        break;
      }
      default: // appended bytes
        b = Uint8Array.from([...b, ...Array.from({ length: 1 + pick(16) }, () => pick(256))]);
    }
    return b;
  }

  it('every mutation parses or throws a SafetensorsError', () => {
    const rand = mulberry32(0x5eed);
    let parsed = 0;
    let rejected = 0;
    for (let trial = 0; trial < 4000; trial++) {
      let buf = base;
      for (let k = 1 + Math.floor(rand() * 2); k > 0; k--) buf = mutate(rand, buf);
      try {
        const { entries } = parseSafetensors(buf, 'fuzz.safetensors');
        for (const e of entries.values()) entryToTensor(e);
        parsed++;
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`trial ${trial}: ${String(e)}`, { cause: e });
        expect(e.message.startsWith('fuzz.safetensors: ')).toBe(true);
        rejected++;
      }
    }
    expect(parsed).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(2000);
  });
});
