// What runs with device tensors carry over from one run to the next (executable.ts). Such a run
// binds buffers of its own (the device tensors it reads, the new ones its kept outputs land in), so
// its state is not cached whole like a plain run's; made afresh, it cost a decoding step a bind
// group per kernel and half a dozen buffers. Kept here instead: the symbol uniform (rewritten each
// run), readback buffers (one per run in flight: a run is submitted before the one before it is
// read back, see submitChoosing), the token choice's buffers, and each kernel's bind group for as
// long as the buffers, offsets and sizes it binds stay the same. In a decoding step most kernels
// bind only weights and the arena, so only those reading or writing the step's caches bind again.
// A buffer rewritten for a run may still be in use by the run submitted before it: the rewrite is
// a queue write, which the queue orders after that run.

import { tokenChoiceBuffers, type TokenChoiceBuffers } from './token-choice.ts';

const UNIFORM = 0x40, COPY_DST = 0x08, MAP_READ = 0x01; // GPUBufferUsage, fixed by the spec
/** Readback buffers kept for later runs at most. */
const MAX_READBACKS = 4;

export class RunReuse {
  private symbols: GPUBuffer | undefined;
  /** Readback buffers no run holds now. */
  private readbacks: GPUBuffer[] = [];
  private choice: TokenChoiceBuffers | undefined;
  /** Per kernel (by index in its program list): the last bind group and what it binds. */
  private readonly groups = new Map<number, { readonly entries: readonly GPUBindGroupEntry[]; readonly group: GPUBindGroup }>();

  constructor(private readonly device: GPUDevice) {}

  /** The symbol uniform (`bytes` long), holding `words`. */
  uniform(bytes: number, words: Uint32Array<ArrayBuffer>): GPUBuffer {
    if (this.symbols?.size !== bytes) {
      this.symbols?.destroy();
      this.symbols = this.device.createBuffer({ size: bytes, usage: UNIFORM | COPY_DST, label: 'symbols' });
    }
    this.device.queue.writeBuffer(this.symbols, 0, words);
    return this.symbols;
  }

  /** A readback buffer of at least `bytes` for one run, until it gives it back (unmapped). */
  takeStaging(bytes: number): GPUBuffer {
    const i = this.readbacks.findIndex((b) => b.size >= bytes);
    if (i >= 0) return this.readbacks.splice(i, 1)[0];
    return this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST, label: 'readback' });
  }

  giveStaging(buffer: GPUBuffer): void {
    if (this.readbacks.length < MAX_READBACKS) this.readbacks.push(buffer);
    else buffer.destroy();
  }

  /** The buffer holding the tokens the last run chose, to feed input `name` of `rows` rows. */
  lastTokens(rows: number, name: string): GPUBuffer {
    if (this.choice?.rows !== rows) throw new Error(`webgpu: input "${name}" takes the tokens the last run chose, but ${this.choice ? `it chose ${this.choice.rows} rows, not ${rows}` : 'no run chose tokens yet'}`);
    return this.choice.tokens;
  }

  /** The token choice's buffers for `rows` rows. */
  tokenChoice(rows: number): TokenChoiceBuffers {
    if (this.choice?.rows !== rows) {
      this.destroyChoice();
      this.choice = tokenChoiceBuffers(this.device, rows);
    }
    return this.choice;
  }

  /** Kernel `kernel`'s bind group for these entries: the last one when it bound the same buffers, offsets and sizes. */
  bindGroup(kernel: number, layout: GPUBindGroupLayout, entries: readonly GPUBindGroupEntry[]): GPUBindGroup {
    const last = this.groups.get(kernel);
    if (last && sameBindings(last.entries, entries)) return last.group;
    const group = this.device.createBindGroup({ layout, entries });
    this.groups.set(kernel, { entries, group });
    return group;
  }

  /** Destroy the buffers and forget the bind groups (after a failed run, or at dispose). */
  destroy(): void {
    this.symbols?.destroy();
    for (const b of this.readbacks) b.destroy();
    this.destroyChoice();
    this.symbols = undefined;
    this.readbacks = [];
    this.groups.clear();
  }

  private destroyChoice(): void {
    if (!this.choice) return;
    for (const b of [this.choice.params, this.choice.draws, this.choice.tokens]) b.destroy();
    this.choice = undefined;
  }
}

/** Whether two entry lists bind the same buffers (the same objects: a new buffer never matches an old one) at the same offsets and sizes. */
function sameBindings(a: readonly GPUBindGroupEntry[], b: readonly GPUBindGroupEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i].resource as GPUBufferBinding, y = b[i].resource as GPUBufferBinding;
    if (x.buffer !== y.buffer || x.offset !== y.offset || x.size !== y.size) return false;
  }
  return true;
}
