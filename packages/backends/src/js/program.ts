// The body of `createModel` in an emitted JS module, generated from the kernel plan: weights bound
// by name, constants, the prologue run once, B operands packed once, the arena layout per set of
// symbol values (views and kernel geometry, cached), and `forward`: one commented call per kernel.

import { type Kernel, type KernelPlan, baseBuffer, kernelWrites } from '@smelt/compiler';
import { BYTES_PER_ELEMENT, type Dim, type Tensor } from '@smelt/ir';
import { block, commentText } from '../render/source-text.ts';
import { numberLiteral, stringLiteral } from './expr-js.ts';
import { type KernelCode, type KernelContext, kernelCode } from './kernels.ts';
import { type PackedSlice, packedSlices } from './packed-slices.ts';
import type { ModelSpec, TensorSpec } from './runtime/harness.ts';
import { ARRAY_TYPE, type TemplateFn } from './templates.ts';
import { typeOnly } from './typed-source.ts';

/** Constants with at most this many elements are written into the module; larger ones load like weights. */
const INLINE_CONSTANT_LIMIT = 64;

export type { ModelSpec, TensorSpec };

export interface ProgramParts {
  readonly model: ModelSpec;
  readonly templates: readonly { readonly name: string; readonly fn: TemplateFn }[];
  /** Statements of createModel's body. */
  readonly body: readonly string[];
  /** Constants the module reads from its weights under these keys. */
  readonly constants: ReadonlyMap<string, Tensor>;
}

const describeBuffer = (plan: KernelPlan, id: number) => {
  const b = plan.buffers[id];
  return `${b.dtype}[${b.shape.join(', ')}]`;
};

function kernelComment(plan: KernelPlan, k: Kernel, name: string): string {
  const outs = kernelWrites(k);
  return `// ${commentText(`${name}: ${k.label} → ${outs.map((o) => describeBuffer(plan, o)).join(', ')}`)}`;
}

function literalArray(t: Tensor): string {
  const items = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? `${v}n` : numberLiteral(v)));
  return `new ${ARRAY_TYPE[t.dtype]}([${items.join(', ')}])`;
}

/** `{ body }` as its own block scope. */
const scope = (body: readonly string[]) => ['{', ...body.map((l) => `  ${l}`), '}'];

/** `head { lines };` for object literals. */
const objectLiteral = (head: string, lines: readonly string[]) => [`${head} {`, ...lines.map((l) => `  ${l}`), '};'];

class ProgramBuilder implements KernelContext {
  private readonly templateNames = new Map<string, string>();
  readonly templates: { name: string; fn: TemplateFn }[] = [];
  readonly constants = new Map<string, Tensor>();
  readonly weightSpecs: TensorSpec[] = [];
  readonly constantSpecs: TensorSpec[] = [];
  private readonly packedNames = new Map<string, string>();
  private readonly symbolIndex: Map<string, number>;
  /** Derived slices packed straight from their source: never allocated, their prologue slice never run. */
  private readonly slices: ReadonlyMap<number, PackedSlice>;
  /** How buffers are read in the code being generated now: the layout object for arena buffers. */
  private arenaRef = (id: number) => `L.b${id}`;

  constructor(readonly plan: KernelPlan) {
    this.symbolIndex = new Map(plan.symbols.map((s, i) => [s, i]));
    this.slices = packedSlices(plan);
  }

  buf(id: number): string {
    const base = baseBuffer(this.plan.buffers, id);
    const s = this.plan.buffers[base].storage;
    switch (s.kind) {
      case 'arena': return this.arenaRef(base);
      case 'input': return `x${this.plan.inputs.findIndex((i) => i.buffer === base)}`;
      case 'weight': return `w${base}`;
      case 'constant': return `c${base}`;
      case 'derived': return `d${base}`;
      case 'alias': throw new Error('unreachable: alias after baseBuffer');
      default: return s satisfies never;
    }
  }

  dim(d: Dim): string {
    if (typeof d === 'number') return String(d);
    const i = this.symbolIndex.get(d);
    if (i === undefined) throw new Error(`symbol ${JSON.stringify(d)} is not bound by any input of ${JSON.stringify(this.plan.name)}`);
    return `s${i}`;
  }

  template(key: string, make: () => TemplateFn): string {
    let name = this.templateNames.get(key);
    if (name === undefined) {
      const fn = make();
      name = `${fn.family}${this.templates.length}`;
      this.templateNames.set(key, name);
      this.templates.push({ name, fn });
    }
    return name;
  }

  packed(k: Extract<Kernel, { kind: 'matmul' }>): string | undefined {
    return this.packedNames.get(`${k.b}:${k.transB}`);
  }

  symbolLocals(): string {
    return this.plan.symbols.length ? `const ${this.plan.symbols.map((_, i) => `s${i} = s[${i}]`).join(', ')};` : '';
  }

  /** The element count of a buffer (times `unit`) as an expression over the symbols. */
  elements(id: number, unit = 1): string {
    const shape = this.plan.buffers[id].shape;
    const factor = shape.filter((d): d is number => typeof d === 'number').reduce((x, y) => x * y, unit);
    return [String(factor), ...shape.filter((d) => typeof d === 'string').map((d) => this.dim(d))].join(' * ');
  }

  bytes(id: number): string {
    return this.elements(id, BYTES_PER_ELEMENT[this.plan.buffers[id].dtype]);
  }

  /** Weights, constants, the prologue and the packed B operands: all that happens once at load. */
  loadSection(): string[] {
    const lines: string[] = [];
    const constantKeys = new Set(this.plan.buffers.flatMap((b) => (b.storage.kind === 'weight' ? [b.storage.name] : [])));
    for (const b of this.plan.buffers) {
      const s = b.storage;
      if (s.kind === 'weight') {
        const i = this.weightSpecs.push({ name: s.name, dtype: b.dtype, shape: b.shape }) - 1;
        lines.push(`const w${b.id} = bindWeight(MODEL.weights[${i}], weights)${typeOnly(` as ${ARRAY_TYPE[b.dtype]}`)}; // ${commentText(`${stringLiteral(s.name)} ${describeBuffer(this.plan, b.id)}`)}`);
      } else if (s.kind === 'constant') {
        lines.push(this.bindConstant(b.id, s.value, constantKeys));
      }
    }
    return [...lines, ...this.prologue(), ...this.packing()];
  }

  /** A small constant is written out; a large one loads with the weights under a key no weight uses. */
  private bindConstant(id: number, value: Tensor, taken: Set<string>): string {
    if (value.data.length <= INLINE_CONSTANT_LIMIT) return `const c${id} = ${literalArray(value)};`;
    let key = `smelt.constant.${id}`;
    while (taken.has(key)) key += '_';
    taken.add(key);
    this.constants.set(key, value);
    const i = this.constantSpecs.push({ name: key, dtype: value.dtype, shape: value.shape }) - 1;
    return `const c${id} = bindWeight(MODEL.constants[${i}], weights)${typeOnly(` as ${ARRAY_TYPE[value.dtype]}`)}; // ${commentText(`a constant of the graph, ${describeBuffer(this.plan, id)}`)}`;
  }

  private prologue(): string[] {
    const lines: string[] = [];
    this.arenaRef = () => { throw new Error('a prologue kernel reads the arena'); };
    for (const b of this.plan.buffers) {
      if (b.storage.kind === 'derived' && !this.slices.has(b.id)) lines.push(`const d${b.id} = new ${ARRAY_TYPE[b.dtype]}(${this.elements(b.id)});`);
    }
    this.plan.prologue.forEach((k, i) => {
      if (k.kind === 'slice' && this.slices.has(k.out)) {
        lines.push(kernelComment(this.plan, k, `prologue ${i}, not run (its matmul packs B from the source)`));
        return;
      }
      const code = kernelCode(k, this);
      lines.push(kernelComment(this.plan, k, `prologue ${i}`));
      lines.push(...(code.geometry === undefined ? [code.call('')] : scope([`const g = ${code.geometry};`, code.call('g')])));
    });
    this.arenaRef = (id) => `L.b${id}`;
    return lines;
  }

  private packing(): string[] {
    const lines: string[] = [];
    for (const k of this.plan.kernels) {
      if (k.kind !== 'matmul') continue;
      const s = this.plan.buffers[baseBuffer(this.plan.buffers, k.b)].storage.kind;
      const key = `${k.b}:${k.transB}`;
      if (!['weight', 'constant', 'derived'].includes(s) || this.packedNames.has(key)) continue;
      const name = `packed${this.packedNames.size}`;
      this.packedNames.set(key, name);
      const slice = this.slices.get(baseBuffer(this.plan.buffers, k.b));
      const from = slice ? `${this.buf(slice.source)}, [${this.plan.buffers[k.b].shape.join(', ')}], ${k.transB}, ${slice.offset}` : `${this.buf(k.b)}, [${this.plan.buffers[k.b].shape.join(', ')}], ${k.transB}`;
      lines.push(`const ${name} = packWeight(${from}); // B of ${commentText(k.label)}, in GEMM panels`);
    }
    return lines.length ? [...lines, 'releaseZeros();'] : lines;
  }

  /** `layout(s)`: the arena for these symbol values, a view per arena buffer, each kernel's geometry. */
  layoutFunction(codes: readonly KernelCode[]): string[] {
    const { slots, alignment } = this.plan.arena;
    const offsets = slots.map((slot, i) => {
      const sizes = slot.buffers.map((id) => this.bytes(id));
      const size = sizes.length === 1 ? sizes[0] : `Math.max(${sizes.join(', ')})`;
      return `const slot${i} = at; at += alignUp(${size}, ${alignment});`;
    });
    const views = slots.flatMap((slot, i) => slot.buffers.map((id) => {
      const b = this.plan.buffers[id];
      return `b${id}: new ${ARRAY_TYPE[b.dtype]}(arena, slot${i}, ${this.elements(id)}),`;
    }));
    const geometry = codes.flatMap((c, i) => (c.geometry === undefined ? [] : [`k${i}: ${c.geometry},`]));
    return block(`function layout(s${typeOnly(': readonly number[]')})`, [
      this.symbolLocals(), 'let at = 0;', ...offsets, 'const arena = new ArrayBuffer(at);',
      ...objectLiteral('return', ['arena,', ...views, ...geometry]),
    ]);
  }

  forwardFunction(codes: readonly KernelCode[]): string[] {
    const inputs = this.plan.inputs.map((inp, i) => `const x${i} = x[${i}]${typeOnly(` as ${ARRAY_TYPE[this.plan.buffers[inp.buffer].dtype]}`)};`);
    const calls = this.plan.kernels.flatMap((k, i) => [kernelComment(this.plan, k, `k${i}`), ...codes[i].call(`L.k${i}`).split('\n')]);
    return block(`function forward(L${typeOnly(': Layout')}, s${typeOnly(': readonly number[]')}, x${typeOnly(': readonly Elements[]')})`, [this.symbolLocals(), ...inputs, ...calls]);
  }

  /**
   * `run(inputs)`: inputs are read where they are; each output whose buffer is an arena buffer (the
   * first output of that buffer) is written by the kernels straight into a new array of its own,
   * put in the run's copy of the layout, so it is returned without a copy. Any other output (an
   * input, a weight or a constant passed through, a second output of one buffer) is copied, and
   * `copied` counts those bytes.
   */
  runMethod(): string[] {
    const fresh = new Set<number>();
    const own: string[] = [];
    const outputs = this.plan.outputs.map((o) => {
      const b = this.plan.buffers[o.buffer];
      const base = baseBuffer(this.plan.buffers, o.buffer);
      const shape = `[${b.shape.map((d) => this.dim(d)).join(', ')}]`;
      if (this.plan.buffers[base].storage.kind === 'arena' && !fresh.has(base)) {
        fresh.add(base);
        const dtype = this.plan.buffers[base].dtype;
        own.push(`L.b${base} = allocate(${stringLiteral(dtype)}, ${this.elements(base)})${typeOnly(` as ${ARRAY_TYPE[dtype]}<ArrayBuffer>`)};`);
        return `out[${stringLiteral(o.name)}] = { dtype: ${stringLiteral(b.dtype)}, shape: ${shape}, data: ${this.buf(o.buffer)} };`;
      }
      return `out[${stringLiteral(o.name)}] = copyOut(${stringLiteral(b.dtype)}, ${shape}, ${this.buf(o.buffer)}); copied += out[${stringLiteral(o.name)}].data.byteLength;`;
    });
    return block(`run(inputs${typeOnly(': TensorsIn')})${typeOnly(': { [name: string]: HostTensor }')}`, [
      'const { data, values: s } = bindInputs(MODEL, inputs);',
      this.symbolLocals(),
      `const L${typeOnly(': Layout')} = { ...cached(layouts, s.join(), 4, () => layout(s)) };`,
      ...own,
      'forward(L, s, data);',
      ...this.plan.inputs.map((_, i) => `const x${i} = data[${i}];`),
      `const out${typeOnly(': { [name: string]: HostTensor }')} = Object.create(null);`,
      ...outputs,
      'return out;',
    ]);
  }
}

/** Generate createModel's body and the templates it calls. */
export function buildProgram(plan: KernelPlan): ProgramParts {
  const p = new ProgramBuilder(plan);
  const load = p.loadSection();
  const codes = plan.kernels.map((k) => kernelCode(k, p));
  const body = [
    ...load,
    ...p.layoutFunction(codes),
    typeOnly('type Layout = ReturnType<typeof layout>;'),
    ...p.forwardFunction(codes),
    `const layouts = new Map${typeOnly('<string, Layout>')}();`,
    'let copied = 0;',
    ...objectLiteral('const model =', [
      ...p.runMethod().map((l, i, all) => (i === all.length - 1 ? `${l},` : l)),
      `layout: (s${typeOnly(': readonly number[]')}) => cached(layouts, s.join(), 4, () => layout(s)),`,
      'get copied() { return copied; },',
      'dispose: () => layouts.clear(),',
    ]),
    'return withDeviceTensors(model);',
  ];
  const spec = (io: { name: string; buffer: number }): TensorSpec => ({ name: io.name, dtype: plan.buffers[io.buffer].dtype, shape: plan.buffers[io.buffer].shape });
  const model: ModelSpec = {
    name: plan.name, symbols: plan.symbols, computed: plan.computed, inputs: plan.inputs.map(spec), outputs: plan.outputs.map(spec),
    weights: p.weightSpecs, constants: p.constantSpecs, contract: plan.contract,
  };
  return { model, templates: p.templates, body, constants: p.constants };
}
