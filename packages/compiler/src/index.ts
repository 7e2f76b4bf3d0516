// Public API of @smelt/compiler: the pass pipeline, the rewrite engine, lowering to the kernel
// plan, memory planning, statistics and views.

export * from './pipeline.ts';
export * from './pass.ts';
export * from './rewrite.ts';
export * from './compile.ts';
export * from './plan/kernel-plan.ts';
export * from './plan/attention-access.ts';
export { LoweringError, lowerToPlan } from './plan/lower.ts';
export * from './plan/input-contract.ts';
export * from './plan/memory.ts';
export * from './plan/quantized.ts';
export * from './plan/row-schedule.ts';
export * from './plan/stats.ts';
export * from './views.ts';
export * from './trace.ts';
