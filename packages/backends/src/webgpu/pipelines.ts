// Compute pipelines for kernel programs, created once per distinct WGSL text (the layers of a
// Transformer generate identical kernels, so they share pipelines) with explicit bind group
// layouts: binding 0 is the symbol uniform, then the program's storage bindings. A shader that
// fails to compile is reported with the kernel label and the compiler's messages.

import type { GpuDevice } from './device.ts';
import type { KernelProgram } from './program.ts';

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

export interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** One executable's view of its device's pipelines (GpuDevice.pipelines, shared by every executable on it). */
export class PipelineCache {
  private readonly mine = new Set<string>();
  /** Pipelines this executable had to create (a run that finds all of them compiled creates none). */
  created = 0;

  constructor(private readonly gpu: GpuDevice) {}

  /** Distinct pipelines this executable uses. */
  get size(): number {
    return this.mine.size;
  }

  get(program: KernelProgram): Promise<CompiledKernel> {
    this.mine.add(program.wgsl);
    let p = this.gpu.pipelines.get(program.wgsl);
    if (!p) {
      this.created++;
      p = this.build(program);
      this.gpu.pipelines.set(program.wgsl, p);
      p.catch(() => this.gpu.pipelines.delete(program.wgsl));
    }
    return p;
  }

  private async build(program: KernelProgram): Promise<CompiledKernel> {
    const { device, limits } = this.gpu;
    if (program.bindings.length > limits.maxStorageBuffersPerShaderStage) {
      throw new Error(`webgpu: kernel "${program.label}" needs ${program.bindings.length} storage buffers; maxStorageBuffersPerShaderStage available is ${limits.maxStorageBuffersPerShaderStage}`);
    }
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
        ...program.bindings.map((b, i): GPUBindGroupLayoutEntry => ({
          binding: i + 1, visibility: COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
        })),
      ],
    });
    const module = device.createShaderModule({ code: program.wgsl, label: program.label });
    try {
      const pipeline = await this.gpu.orLost(device.createComputePipelineAsync({
        layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
        label: program.label,
      }));
      return { pipeline, layout };
    } catch (e) {
      const info = await module.getCompilationInfo();
      const messages = info.messages.map((m) => `${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
      throw new Error(`webgpu: kernel "${program.label}" did not compile: ${messages || (e as Error).message}`);
    }
  }
}
