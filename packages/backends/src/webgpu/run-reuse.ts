// What runs with device tensors carry over from one run to the next (executable.ts). Such a run
// binds buffers of its own (the device tensors it reads, the new ones its kept outputs land in), so
// its state is not cached whole like a plain run's; made afresh, it cost a decoding step a bind
// group per kernel and half a dozen buffers. Kept here instead: the symbol uniform and the readback
// buffer (rewritten each run), the token choice's buffers, and each kernel's bind group for as long
// as the buffers, offsets and sizes it binds stay the same. In a decoding step most kernels bind
// only weights and the arena, so only those reading or writing the step's caches bind again.
// Runs of one executable never overlap (its run queue), so a buffer rewritten for a run is no
// longer in use by the run before.

import { tokenChoiceBuffers, type TokenChoiceBuffers } from './token-choice.ts';

const UNIFORM = 0x40, COPY_DST = 0x08, MAP_READ = 0x01; // GPUBufferUsage, fixed by the spec

export class RunReuse {
  private symbols: GPUBuffer | undefined;
  private readback: GPUBuffer | undefined;
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

  /** A readback buffer of at least `bytes`. */
  staging(bytes: number): GPUBuffer {
    if (!this.readback || this.readback.size < bytes) {
      this.readback?.destroy();
      this.readback = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST, label: 'readback' });
    }
    return this.readback;
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
    this.readback?.destroy();
    this.destroyChoice();
    this.symbols = this.readback = undefined;
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
