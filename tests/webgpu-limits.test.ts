// WebGPU device limits and device loss: a kernel needing more storage buffers than the device has
// fails with the limit's name, the value needed and the value available (checked against a device
// that reports small limits); attention stages fewer keys per tile when workgroup storage is small,
// and names the limit when not even one key fits; a lost device makes the next run fail with the loss reason instead
// of waiting on the GPU forever (a real device, destroyed under a compiled executable).

import { expect, it } from 'vitest';
import { GraphBuilder, Var, input, interpret } from '@smelt/ir';
import { buildModel } from '@smelt/models';
import { generatePrograms } from '../packages/backends/src/webgpu/codegen.ts';
import type { GpuDevice } from '../packages/backends/src/webgpu/device.ts';
import { compileWebGpu, planFor } from '../packages/backends/src/webgpu/index.ts';
import { PipelineCache } from '../packages/backends/src/webgpu/pipelines.ts';
import type { KernelProgram } from '../packages/backends/src/webgpu/program.ts';
import { make } from './op-cases.ts';
import { describeWebGpu, expectClose } from './webgpu-suite.ts';

it('a kernel over more storage buffers than the device allows names the limit, needed and available', async () => {
  const small = { limits: { maxStorageBuffersPerShaderStage: 4 }, device: {}, pipelines: new Map() } as unknown as GpuDevice;
  const program = {
    label: 'concat_5', wgsl: '// five inputs and an output',
    bindings: Array.from({ length: 6 }, (_, i) => ({ buffer: i, access: i === 5 ? 'read_write' : 'read' })),
  } as unknown as KernelProgram;
  await expect(new PipelineCache(small).get(program)).rejects.toThrow(
    'webgpu: kernel "concat_5" needs 6 storage buffers; maxStorageBuffersPerShaderStage available is 4',
  );
});

it('attention fits its key tiles into the workgroup storage there is, or names the limit', () => {
  const plan = planFor(buildModel({
    model: 'torch-transformer', dModel: 64, nHead: 1, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 64,
    activation: 'relu', layerNormEps: 1e-5, normFirst: false,
  }));
  const attention = (storage: number) => generatePrograms(plan, { maxComputeWorkgroupStorageSize: storage, workgroupTiles: false })
    .kernels.filter((_, i) => plan.kernels[i].kind === 'attention');
  const staged = (storage: number) => attention(storage).map((p) => p.wgsl.match(/var<workgroup> Ks: array<vec4<f32>, (\d+)>/)![1]);
  // One key of head dim 64 takes 16 vec4 of K and 16 of V: 512 bytes.
  expect(attention(16384).length).toBeGreaterThan(0);
  expect(Number(staged(1024)[0])).toBe(2 * 16);
  expect(Number(staged(16384)[0])).toBeGreaterThan(2 * 16);
  expect(() => attention(500)).toThrow(/maxComputeWorkgroupStorageSize needed 512 bytes for one key, available 500/);
});

describeWebGpu('webgpu backend: device loss', () => {
  it('a run after the device is lost fails with the reason and does not hang', { timeout: 60_000 }, async () => {
    const b = new GraphBuilder('lossy');
    const x = input(b, 'x', 'f32', ['n', 8]);
    b.output('y', x.matmul(new Var(b, b.param('w', 'f32', [8, 8]))).relu().value);
    const weights = new Map([['w', make('f32', [8, 8])]]);
    const inputs = new Map([['x', make('f32', [3, 8])]]);
    const exe = await compileWebGpu(b.graph, weights);
    expectClose((await exe.run(inputs)).get('y'), interpret(b.graph, inputs, weights).get('y')!, 'before the loss');
    (exe as unknown as { gpu: GpuDevice }).gpu.device.destroy();
    await expect(exe.run(inputs)).rejects.toThrow(/WebGPU device lost \(destroyed\)/);
    await expect(exe.run(inputs)).rejects.toThrow(/device lost/);
    exe.dispose();
  });
});
