// Byte-level encoding of WebAssembly binaries: a growable byte buffer with the LEB128 integer
// forms, little-endian floats and length-prefixed vectors that every section is made of.

const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

export class Bytes {
  private buf = new Uint8Array(256);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.reserve(1);
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  raw(bytes: ArrayLike<number>): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Unsigned LEB128 (u32: counts, indices, sizes, alignments, offsets). */
  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n !== 0) b |= 0x80;
      this.byte(b);
    } while (n !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (i32.const). */
  s32(n: number): this {
    if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new RangeError(`i32 out of range: ${n}`);
    return this.s64(BigInt(n | 0));
  }

  /** Signed LEB128 of a 64-bit integer (i64.const). */
  s64(n: bigint): this {
    n = BigInt.asIntN(64, n);
    for (;;) {
      const b = Number(n & 0x7fn);
      n >>= 7n;
      const done = (n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  f32(x: number): this {
    scratch.setFloat32(0, x, true);
    return this.raw(scratchBytes.subarray(0, 4));
  }

  f64(x: number): this {
    scratch.setFloat64(0, x, true);
    return this.raw(scratchBytes);
  }

  /** A UTF-8 name, length-prefixed. */
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).raw(b);
  }

  /** Another buffer, length-prefixed (a section or a function body). */
  sized(inner: Bytes): this {
    return this.u32(inner.length).raw(inner.view());
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
