// What one WebGPU run encodes and reads back (executable.ts builds it), and what it did
// (RunStats): its steps (pipeline, bind group, grid per kernel), where each output is copied in
// the readback buffer, and the buffers it owns. `encodeRun` records one command encoder (pending row copies of device tensors first, then
// the fed tokens, one compute pass, the output copies) and submits it; `readRunOutputs` copies the
// outputs out of the mapped readback buffer.

import type { Tensor } from '@smelt/ir';
import type { GpuTensors } from './device-tensors.ts';
import type { Location } from './gpu-memory.ts';
import { fromGpuBytes } from './host-tensors.ts';

/** What the last run did on the GPU. */
export interface RunStats {
  readonly dispatches: number;
  readonly passes: number;
  readonly submits: number;
  /** Bytes written to the GPU during the run (the inputs from the host only). */
  readonly bytesUploaded: number;
  /** Bytes read back from the GPU by the run (the outputs not kept on the GPU). */
  readonly bytesReadBack: number;
  /** Compute pipelines the run had to create: 0, since compile creates and warms up all of them. */
  readonly pipelinesCreated: number;
}

export interface Step { readonly pipeline: GPUComputePipeline; readonly bindGroup: GPUBindGroup; readonly grid: [number, number, number] }
export interface OutputRead { readonly name: string; readonly dtype: Tensor['dtype']; readonly shape: number[]; readonly from: Location; readonly at: number }
/** The tokens the previous run chose, copied into an input buffer at the head of a run. */
export interface TokenFeed { readonly from: GPUBuffer; readonly to: GPUBuffer; readonly bytes: number }
/** `reused`: its uniform and staging belong to the executable's RunReuse (not destroyed with the state). */
export interface EnvState { readonly uniform: GPUBuffer; readonly steps: Step[]; readonly staging: GPUBuffer; readonly outputs: OutputRead[]; readonly extra: GPUBuffer[]; readonly reused: boolean }

/** One encoder (`feed`: the last chosen tokens copied into an input first), one compute pass, the output copies, one submit. Returns the dispatch count. */
export function encodeRun(device: GPUDevice, tensors: GpuTensors, state: EnvState, feed?: TokenFeed): number {
  const encoder = device.createCommandEncoder();
  tensors.flush(encoder);
  if (feed && feed.bytes) encoder.copyBufferToBuffer(feed.from, 0, feed.to, 0, feed.bytes);
  const pass = encoder.beginComputePass();
  let dispatches = 0;
  for (const s of state.steps) {
    if (s.grid.some((g) => g === 0)) continue;
    pass.setPipeline(s.pipeline);
    pass.setBindGroup(0, s.bindGroup);
    pass.dispatchWorkgroups(...s.grid);
    dispatches++;
  }
  pass.end();
  for (const o of state.outputs) {
    if (o.from.bytes) encoder.copyBufferToBuffer(o.from.buffer, o.from.offset, state.staging, o.at, o.from.bytes);
  }
  tensors.submit(encoder);
  return dispatches;
}

/** The outputs out of the mapped readback buffer, which is unmapped after. */
export function readRunOutputs(state: EnvState): Map<string, Tensor> {
  const mapped = state.staging.getMappedRange();
  const result = new Map<string, Tensor>();
  for (const o of state.outputs) result.set(o.name, fromGpuBytes(o.dtype, o.shape, mapped.slice(o.at, o.at + o.from.bytes)));
  state.staging.unmap();
  return result;
}
