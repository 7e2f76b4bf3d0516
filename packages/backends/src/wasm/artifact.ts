// What the wasm backend emits for a kernel plan: the module bytes with its memory map, and a
// printable listing (the module's layout, every kernel function with the ops it computes and its
// size, the load-time region and the packed GEMM panels), since a binary has no source to print.

import type { KernelPlan } from '@smelt/compiler';
import { formatDims } from '@smelt/ir';
import type { Artifact } from '../backend.ts';
import type { WasmProgram } from './codegen/program.ts';

export interface WasmArtifact extends Artifact {
  readonly program: WasmProgram;
  /** Threads the executable runs (1: no workers; the module imports a shared memory when > 1). */
  readonly threads: number;
}

export function wasmArtifact(plan: KernelPlan, program: WasmProgram, threads: number): WasmArtifact {
  return { backend: 'wasm', plan, program, threads, text: () => listing(plan, program, threads) };
}

function listing(plan: KernelPlan, program: WasmProgram, threads: number): string {
  const m = program.memory;
  const label = new Map<string, string>();
  plan.prologue.forEach((k, i) => label.set(`prologue_${i}_${k.kind}`, k.label));
  plan.kernels.forEach((k, i) => label.set(`kernel_${i}_${k.kind}`, k.label));
  const lines = [
    `;; ${plan.name}: WebAssembly module, ${program.bytes.length} bytes, ${program.options.simd} SIMD, ${threads} thread${threads > 1 ? 's' : ''}`,
    `;; symbols (run and layout parameters): ${plan.symbols.join(', ') || 'none'}`,
    `;; memory: header and pointer table [0, ${m.staticBase}), load-time data [${m.staticBase}, ${m.staticEnd}), then arena, inputs, scratch per thread`,
  ];
  for (const [id, address] of m.staticAddresses) {
    const b = plan.buffers[id];
    lines.push(`;;   @${address}  %${id} ${b.storage.kind} ${b.dtype}${formatDims(b.shape)}`);
  }
  for (const p of m.packed) {
    const scales = p.scales === undefined ? '' : `, column scales @${p.scales}`;
    lines.push(`;;   @${p.address}  panels of %${p.source}${p.transB ? 'ᵀ' : ''}: [${Math.ceil(p.n / 8)}][${p.k}][8] ${p.dtype}${scales}`);
  }
  if (m.loadOnly.size) lines.push(`;; while loading only: [${m.staticEnd}, ${m.loadEnd}) ${[...m.loadOnly].map((id) => `%${id}`).join(' ')} (then the run-time region)`);
  for (const f of program.functions) lines.push(`(func $${f.name}  ;; ${f.bytes} bytes${label.has(f.name) ? `  ${label.get(f.name)}` : ''})`);
  return lines.join('\n');
}
