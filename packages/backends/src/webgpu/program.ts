// What code generation hands the host: per plan kernel, a WGSL module, its storage bindings, and
// its workgroup grid as data over the plan's dims. The WGSL never depends on symbol values (they
// come from the uniform), so one pipeline serves every sequence length; only grids and binding
// ranges do, and both are data an exported model.js evaluates without smelt (portable-host.ts).

import type { BindingSpec } from './kernel-writer.ts';
import type { GridSpec } from './portable-host.ts';

export interface KernelProgram {
  /** The plan kernel's label, for errors and dumps. */
  readonly label: string;
  readonly wgsl: string;
  readonly bindings: readonly BindingSpec[];
  /** Workgroup counts (x, y, z) as data: gridSize(grid, env) for given symbol values. */
  readonly grid: GridSpec;
}
