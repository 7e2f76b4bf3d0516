// Where device tensors live in a wasm executable's linear memory: a heap between the load-time
// region and the run-time region. The module's `layout` starts the run-time region (arena, inputs,
// scratch) at the header word `runtimeBase`, so the heap grows by moving that word up between runs
// (the run-time region holds nothing from one run to the next). Blocks are first fit over a free
// list kept in address order, merged with their neighbours when freed; a free block at the top
// gives its bytes back to the run-time region. Standalone (no imports): an exported model.js
// carries its text (wasm/aot/loader.ts).

/** Every block starts on this boundary (the widest vector a kernel loads). */
const BLOCK_ALIGNMENT = 64;

const blockSize = (bytes: number) => Math.ceil(Math.max(bytes, 1) / BLOCK_ALIGNMENT) * BLOCK_ALIGNMENT;

interface Block { readonly at: number; readonly bytes: number }

export class ResidentHeap {
  private readonly free: Block[] = [];
  private top: number;

  /** `base`: the first byte past the load-time region; `slack`: bytes past a region's end that kernels may read (memory-map.ts SLACK). */
  constructor(private readonly base: number, private readonly slack: number) {
    this.top = base;
  }

  /** Where the run-time region starts now. */
  get end(): number {
    return this.top === this.base ? this.base : blockSize(this.top + this.slack);
  }

  /** The address of a new block of at least `bytes` (kernels may read up to SLACK past it). */
  allocate(bytes: number): number {
    const size = blockSize(bytes);
    const i = this.free.findIndex((b) => b.bytes >= size);
    if (i < 0) {
      const at = this.top;
      this.top += size;
      return at;
    }
    const b = this.free[i];
    if (b.bytes === size) this.free.splice(i, 1);
    else this.free[i] = { at: b.at + size, bytes: b.bytes - size };
    return b.at;
  }

  /** Give back the block of `bytes` at `at` (as allocate rounded it). */
  release(at: number, bytes: number): void {
    const size = blockSize(bytes);
    let i = this.free.findIndex((b) => b.at > at);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { at, bytes: size });
    // Merge with the next block, then with the previous one.
    const merge = (j: number) => {
      const [a, b] = [this.free[j], this.free[j + 1]];
      if (a && b && a.at + a.bytes === b.at) this.free.splice(j, 2, { at: a.at, bytes: a.bytes + b.bytes });
    };
    merge(i);
    if (i > 0) merge(i - 1);
    const last = this.free[this.free.length - 1];
    if (last && last.at + last.bytes === this.top) {
      this.top = last.at;
      this.free.pop();
    }
  }

  /** Bytes in blocks now (for tests: every device tensor disposed gives 0). */
  get used(): number {
    return this.top - this.base - this.free.reduce((s, b) => s + b.bytes, 0);
  }
}
