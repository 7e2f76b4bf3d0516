// The message of a wasm trap, shared by the in-process executable and an exported model.js (which
// inlines this file, so it imports nothing): the kernel the calling thread was in (the header's
// current-kernel word) and what its kind's traps mean, instead of the engine's bare "unreachable".

/** A kernel as the message needs it: its kind and label (the plan's Kernel, or a manifest entry). */
export interface TrapKernel {
  readonly kind: string;
  readonly label: string;
}

/** "wasm run kernel 3 (gather) failed: an index is out of range"; `kernel` undefined outside a run. */
export function trapMessage(what: string, index: number, kernel: TrapKernel | undefined, engineMessage: string): string {
  const why = kernel?.kind === 'gather' ? 'an index is out of range'
    : kernel?.kind === 'slice' || kernel?.kind === 'dynamic_slice' ? 'the slice runs past the end of its input' : engineMessage;
  return `wasm ${what}${kernel ? ` kernel ${index} (${kernel.label})` : ''} failed: ${why}`;
}
