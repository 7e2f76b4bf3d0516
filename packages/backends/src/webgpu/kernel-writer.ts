// What every kernel template writes with: storage bindings for plan buffers (named b1, b2, … —
// never after user names), typed loads and stores, linear-index ↔ coordinate arithmetic over
// symbolic shapes, broadcasting, and the final WGSL module (header comment, uniform of symbol
// values at binding 0, prelude, body). WebGPU validates usage per whole buffer, and one dispatch may
// not use a buffer both as writable and as read-only storage: so every view of the arena (one
// GPUBuffer) is bound read_write, and a buffer a kernel overwrites in place is bound only once.
// Under precision 'f16' (precision.ts) the buffers in `half` are bound as arrays of f16: loads
// widen to f32, stores round (saturating), and the module enables f16 when it uses it. Quantized
// weight matrices (`weightsDtype`, quantized.ts) are bound as arrays of u32 words, and loads of
// them call the binding's dequantizing helper.

import type { DType, Dim } from '@smelt/ir';
import type { KernelPlan } from '@smelt/compiler';
import { baseBuffer } from '@smelt/compiler';
import type { GridSpec } from './portable-host.ts';
import { WGSL_F16_PRELUDE, WGSL_PRELUDE } from './wgsl-prelude.ts';
import { type GpuQuantized, dequantizeFn } from './quantized.ts';
import { DimWriter, type StoreType, bitcastTo, fromStore, storeType, toStore } from './wgsl-types.ts';

export type Access = 'read' | 'read_write';

/** The WGSL scalar a binding's elements are: a 32-bit store type, or f16 for half-stored weights. */
type ElementType = StoreType | 'f16';

/** One storage binding of a kernel: which plan buffer's memory it views (binding i+1). */
export interface BindingSpec {
  /** The plan buffer whose storage is bound (a base buffer, never an alias). */
  readonly buffer: number;
  readonly access: Access;
  /** vec4 views need 16-byte aligned offsets and a length that is a multiple of 4. */
  readonly vec4: boolean;
}

interface BindingState {
  readonly name: string;
  readonly buffer: number;
  access: Access;
  vec4: boolean;
  readonly types: Set<StoreType>;
}

/** What code generation needs to know about the device. */
export interface CodegenTarget {
  readonly maxComputeWorkgroupStorageSize: number;
  /** False on CPU adapters (lavapipe), where staging through workgroup memory only adds barriers. */
  readonly workgroupTiles: boolean;
  /**
   * Set on CPU adapters (lavapipe) whose device has the subgroups feature with one fixed subgroup
   * size: the SIMD width, each subgroup being `subgroupSize` consecutive invocations of a workgroup.
   * There every load is issued once per lane, so kernels load cooperatively (each lane a different
   * element) and share values with subgroupBroadcast, and reduce rows with subgroupAdd/Max.
   */
  readonly subgroupSize?: number;
}

export class KernelWriter {
  readonly dims: DimWriter;
  private readonly bindings: BindingState[] = [];
  private readonly byKey = new Map<number, BindingState>();
  private frozen = false;
  private usesF16 = false;
  private usesSubgroups = false;

  constructor(
    readonly plan: KernelPlan, readonly target: CodegenTarget, private readonly writes: readonly number[] = [],
    /** Under precision 'f16': the base buffers stored as f16 (undefined under 'f32'). */
    readonly half?: ReadonlySet<number>,
    /** Quantized weight matrices by base buffer (quantized.ts). */
    private readonly quantized: ReadonlyMap<number, GpuQuantized> = new Map(),
  ) {
    this.dims = new DimWriter(plan.symbols);
  }

  /** True under precision 'f16', where matmul templates compute in f16. */
  get f16(): boolean {
    return this.half !== undefined;
  }

  /** Declare that the module's code uses f16 (it then enables the extension and its helpers). */
  useF16(): void {
    if (!this.f16) throw new Error('internal: f16 code outside precision f16');
    this.usesF16 = true;
  }

  /** Declare that the module's code uses subgroup builtins (only where the target has a subgroup size). */
  useSubgroups(): void {
    if (!this.target.subgroupSize) throw new Error('internal: subgroup code for a target without subgroups');
    this.usesSubgroups = true;
  }

  dtype(id: number): DType {
    return this.plan.buffers[id].dtype;
  }

  shape(id: number): readonly Dim[] {
    return this.plan.buffers[id].shape;
  }

  /** The storage a buffer's elements live in: its base, or the output it is overwritten by in place. */
  private storageKey(id: number): number {
    const base = baseBuffer(this.plan.buffers, id);
    const over = this.plan.arena.inPlace.get(base);
    return over !== undefined && this.writes.includes(over) ? baseBuffer(this.plan.buffers, over) : base;
  }

  /** Bind a buffer (all binds come before any load or store); returns the binding's WGSL name. */
  bind(id: number, wanted: Access, vec4 = false): string {
    if (this.frozen) throw new Error('internal: bind after the first load');
    const key = this.storageKey(id);
    const access = this.plan.buffers[key].storage.kind === 'arena' ? 'read_write' : wanted;
    let b = this.byKey.get(key);
    if (!b) {
      b = { name: `b${this.bindings.length + 1}`, buffer: key, access, vec4, types: new Set() };
      this.bindings.push(b);
      this.byKey.set(key, b);
    } else {
      if (access === 'read_write') b.access = 'read_write';
      b.vec4 &&= vec4;
    }
    b.types.add(storeType(this.dtype(id)));
    return b.name;
  }

  private binding(id: number): BindingState {
    this.frozen = true;
    const b = this.byKey.get(this.storageKey(id));
    if (!b) throw new Error(`internal: buffer ${id} is not bound`);
    return b;
  }

  private elementType(b: BindingState): ElementType {
    if (this.quantized.has(b.buffer)) return 'u32';
    if (this.half?.has(b.buffer)) return 'f16';
    return b.types.size === 1 ? [...b.types][0] : 'u32';
  }

  /** Bound as vec4s: only float buffers bound by vec4 requests alone. */
  private vec4Bound(b: BindingState): boolean {
    const t = this.elementType(b);
    return b.vec4 && (t === 'f32' || t === 'f16');
  }

  /** True when the buffer is bound as vec4<f32> or vec4<f16> (see vec4Type). */
  isVec4(id: number): boolean {
    return this.vec4Bound(this.binding(id));
  }

  /** The scalar of the vec4s load4 gives for a vec4-bound buffer. */
  vec4Type(id: number): 'f32' | 'f16' {
    return this.elementType(this.binding(id)) === 'f16' ? 'f16' : 'f32';
  }

  /** Element `index` of buffer `id` as an expression value of its dtype (f16 storage widened to f32). */
  load(id: number, index: string): string {
    const b = this.binding(id);
    const d = this.dtype(id);
    const t = this.elementType(b);
    if (this.quantized.has(b.buffer)) return `dq_${b.name}(${index})`;
    const raw = this.vec4Bound(b) ? `${b.name}[(${index}) / 4u][(${index}) % 4u]` : `${b.name}[${index}]`;
    if (t === 'f16') return `f32(${raw})`;
    return fromStore(d, bitcastTo(storeType(d), t, raw));
  }

  /** Four consecutive elements starting at `index` (a multiple of 4) of a vec4-bound buffer, as vec4<vec4Type>. */
  load4(id: number, index: string): string {
    return `${this.binding(id).name}[(${index}) / 4u]`;
  }

  store(id: number, index: string, value: string): string {
    const b = this.binding(id);
    const d = this.dtype(id);
    const t = this.elementType(b);
    if (t === 'f16') return `${b.name}[${index}] = to_f16(${value});`;
    return `${b.name}[${index}] = ${bitcastTo(t, storeType(d), toStore(d, value))};`;
  }

  numel(id: number): string {
    return this.dims.product(this.shape(id));
  }

  /** `let` lines splitting linear index `index` into coordinates `${prefix}0..` over `shape`. */
  coords(index: string, shape: readonly Dim[], prefix: string): string[] {
    if (shape.length === 0) return [];
    const lines = [`var ${prefix}_rem = ${index};`];
    for (let a = shape.length - 1; a >= 0; a--) {
      const d = this.dims.dim(shape[a]);
      lines.push(a === 0 ? `let ${prefix}${a} = ${prefix}_rem;` : `let ${prefix}${a} = ${prefix}_rem % ${d}; ${prefix}_rem = ${prefix}_rem / ${d};`);
    }
    return lines;
  }

  /** The linear index into `shape` of coordinates named `${prefix}k` over `outShape` (numpy broadcast). */
  broadcastIndex(shape: readonly Dim[], outShape: readonly Dim[], prefix: string): string {
    const off = outShape.length - shape.length;
    const terms: string[] = [];
    for (let i = 0; i < shape.length; i++) {
      if (shape[i] === 1) continue;
      const stride = this.dims.product(shape.slice(i + 1).filter((d) => d !== 1));
      terms.push(stride === '1u' ? `${prefix}${i + off}` : `${prefix}${i + off} * ${stride}`);
    }
    return terms.length ? terms.join(' + ') : '0u';
  }

  /** The binding specs in binding order (1..n). */
  specs(): BindingSpec[] {
    return this.bindings.map((b) => ({ buffer: b.buffer, access: b.access, vec4: this.vec4Bound(b) }));
  }

  /** The whole WGSL module: header (and `enable f16;` where used), uniform, bindings, prelude, then the template's code. */
  module(label: string, body: string): string {
    const decls = this.bindings.map((b, i) => {
      const elem = this.vec4Bound(b) ? `vec4<${this.elementType(b)}>` : this.elementType(b);
      const access = b.access === 'read' ? 'read' : 'read_write';
      return `@group(0) @binding(${i + 1}) var<storage, ${access}> ${b.name}: array<${elem}>;`;
    });
    const safeLabel = label.replace(/[^\x20-\x7e]/g, '?');
    const dequantize = this.bindings.flatMap((b) => (this.quantized.has(b.buffer) ? [dequantizeFn(b.name, this.quantized.get(b.buffer)!)] : []));
    const f16 = this.usesF16 || this.bindings.some((b) => this.elementType(b) === 'f16');
    return [
      `// smelt kernel: ${safeLabel}`, ...(f16 ? ['enable f16;'] : []), ...(this.usesSubgroups ? ['enable subgroups;'] : []), this.dims.uniformStruct(), ...decls,
      WGSL_PRELUDE, ...(f16 ? [WGSL_F16_PRELUDE] : []), ...dequantize, body,
    ].join('\n');
  }
}

/** A 1-D grid for product(`dims`) items of `perGroup` each, folded into x and y (portable-host.ts). */
export function grid1d(dims: readonly Dim[], perGroup: number, emptyIf: readonly Dim[] = []): GridSpec {
  return { kind: 'folded', count: { dims, per: perGroup }, ...(emptyIf.length ? { emptyIf } : {}) };
}

/** The WGSL of the flat workgroup index for grids made by `grid1d`. */
export const FLAT_GROUP = '(wg.y * nwg.x + wg.x)';
export const BUILTINS =
  '@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32';
