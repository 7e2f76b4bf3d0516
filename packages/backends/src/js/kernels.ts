// Each kernel of the plan as JS: the geometry it needs (computed once per set of symbol values, or
// once at load for prologue kernels) and the statement that runs it. Elementwise kernels and
// matmuls and row kernels (softmax, norms) call generated templates; the rest call the runtime library (js/runtime/). JS_KERNELS,
// one entry per kernel kind, is also what the backend declares it can run.

import { type AttentionOperand, type Kernel, type KernelKind, type KernelPlan, type Stride, attentionAccess } from '@smelt/compiler';
import { type Dim, shapesEqual } from '@smelt/ir';
import { type TemplateFn, elementwiseTemplate, gemmTemplate } from './templates.ts';
import { numberLiteral } from './expr-js.ts';
import { rowTemplate } from './row-template.ts';

/** What kernel code needs from the module being built. */
export interface KernelContext {
  readonly plan: KernelPlan;
  /** The expression holding buffer `id`'s typed array. */
  buf(id: number): string;
  /** The expression of a dim (a number, or a symbol's variable). */
  dim(d: Dim): string;
  /** A template function's name, emitting it on first use; `key` holds everything `make` builds it from. */
  template(key: string, make: () => TemplateFn): string;
  /** The name of B packed at load for this kernel, when B is known at load time. */
  packed(k: Extract<Kernel, { kind: 'matmul' }>): string | undefined;
}

export interface KernelCode {
  /** The geometry expression, or undefined when the kernel needs none. */
  readonly geometry?: string;
  /** The statement running the kernel, given the expression that holds its geometry. */
  call(g: string): string;
}

const shapeOf = (ctx: KernelContext, id: number) => `[${ctx.plan.buffers[id].shape.map((d) => ctx.dim(d)).join(', ')}]`;
const optional = (ctx: KernelContext, id: number | undefined, f: (id: number) => string) => (id === undefined ? 'null' : f(id));
const num = (v: number) => numberLiteral(v);

function elementwise(k: Extract<Kernel, { kind: 'elementwise' }>, ctx: KernelContext): KernelCode {
  const outBuf = ctx.plan.buffers[k.out];
  const operands = k.inputs.map((id) => {
    const b = ctx.plan.buffers[id];
    return { dtype: b.dtype, full: shapesEqual(b.shape, outBuf.shape) };
  });
  const name = ctx.template(JSON.stringify(['elementwise', k.expr, outBuf.dtype, operands]), () => elementwiseTemplate(k.expr, outBuf.dtype, operands));
  const shapes = k.inputs.map((id, i) => (operands[i].full ? 'null' : shapeOf(ctx, id)));
  return {
    geometry: `elementwiseGeometry(${shapeOf(ctx, k.out)}, [${shapes.join(', ')}])`,
    call: (g) => `${name}(${[g, ctx.buf(k.out), ...k.inputs.map((id) => ctx.buf(id))].join(', ')});`,
  };
}

function matmul(k: Extract<Kernel, { kind: 'matmul' }>, ctx: KernelContext): KernelCode {
  const extraTypes = k.extras.map((id) => ctx.plan.buffers[id].dtype);
  const name = ctx.template(JSON.stringify(['gemm', k.epilogue, extraTypes]), () => gemmTemplate(k.epilogue, extraTypes));
  const packed = ctx.packed(k);
  const extras = k.extras.map((id) => shapeOf(ctx, id));
  const b = (g: string) => packed ?? `packRun(${g}, ${ctx.buf(k.b)})`;
  return {
    geometry: `gemmGeometry(${[k.a, k.b, k.out].map((id) => shapeOf(ctx, id)).join(', ')}, ${k.transA}, ${k.transB}, [${extras.join(', ')}], ${packed === undefined})`,
    call: (g) => `${name}(${[g, ctx.buf(k.a), b(g), ctx.buf(k.out), ...k.extras.map((id) => ctx.buf(id))].join(', ')});`,
  };
}

function row(k: Extract<Kernel, { kind: 'row' }>, ctx: KernelContext): KernelCode {
  const outShape = ctx.plan.buffers[k.out].shape;
  const operands = k.inputs.map((id) => ({ full: shapesEqual(ctx.plan.buffers[id].shape, outShape) }));
  const name = ctx.template(JSON.stringify(['row', k.program, operands]), () => rowTemplate(k.program, operands));
  const shapes = k.inputs.map((id, i) => (operands[i].full ? 'null' : shapeOf(ctx, id)));
  const outs = [k.out, ...(k.value === undefined ? [] : [k.value])];
  return {
    geometry: `elementwiseGeometry(${shapeOf(ctx, k.out)}, [${shapes.join(', ')}])`,
    call: (g) => `${name}(${[g, ...outs.map((id) => ctx.buf(id)), ...k.inputs.map((id) => ctx.buf(id))].join(', ')});`,
  };
}

function concat(k: Extract<Kernel, { kind: 'concat' }>, ctx: KernelContext): KernelCode {
  const lens = k.inputs.map((id) => ctx.dim(ctx.plan.buffers[id].shape[k.axis]));
  return {
    geometry: `axisGeometry(${shapeOf(ctx, k.out)}, ${k.axis})`,
    call: (g) => k.inputs.map((id, i) => `concatInto(${g}, ${lens.slice(0, i).join(' + ') || '0'}, ${lens[i]}, ${ctx.buf(id)}, ${ctx.buf(k.out)});`).join('\n'),
  };
}

type KernelRule<K extends KernelKind> = (k: Extract<Kernel, { kind: K }>, ctx: KernelContext) => KernelCode;

/** Readers of a buffer's array (`b`) and of its shape (`s`) in generated code. */
const access = (ctx: KernelContext) => ({ b: (id: number) => ctx.buf(id), s: (id: number) => shapeOf(ctx, id) });

/** The JS of every kernel kind; the mapped type makes a new kind without one a compile error. */
export const JS_KERNELS: { readonly [K in KernelKind]: KernelRule<K> } = {
  elementwise,
  matmul,
  concat,
  attention(k, ctx) {
    const { b } = access(ctx);
    const a = attentionAccess(k, (id) => ctx.plan.buffers[id].shape);
    const stride = (st: Stride) => (st === null ? '0' : st.map((d) => ctx.dim(d)).join(' * ') || '1');
    const strides = (o: AttentionOperand, col: Stride = []) => `[[${o.batch.map(stride).join(', ')}], ${stride(o.row)}, ${stride(col)}]`;
    const operands = [a.q, a.k, a.v, a.out].map((o) => strides(o));
    const mask = a.mask === undefined ? 'null' : strides(a.mask, a.mask.col);
    const dims = [a.lq, a.lk, a.depth, a.dv].map((d) => ctx.dim(d)).join(', ');
    return {
      geometry: `attentionGeometry([${a.batch.map((d) => ctx.dim(d)).join(', ')}], [${operands.join(', ')}, ${mask}], ${dims})`,
      call: (g) => `attention(${g}, ${num(k.scale)}, ${k.causal}, ${b(k.q)}, ${b(k.k)}, ${b(k.v)}, ${optional(ctx, k.mask, b)}, ${b(k.out)});`,
    };
  },
  row,
  reduce(k, ctx) {
    const { b, s } = access(ctx);
    const head = { sum: (g: string) => `reduceSum(${g}, false`, mean: (g: string) => `reduceSum(${g}, true`, max: (g: string) => `reduceExtreme(${g}, false`, min: (g: string) => `reduceExtreme(${g}, true`, argmax: (g: string) => `argmax(${g}` }[k.op];
    return { geometry: `reduceGeometry(${s(k.x)}, [${k.axes.join(', ')}])`, call: (g) => `${head(g)}, ${b(k.x)}, ${b(k.out)});` };
  },
  rope(k, ctx) {
    const { b, s } = access(ctx);
    return { geometry: `ropeGeometry(${s(k.x)}, ${s(k.cos)})`, call: (g) => `rope(${g}, ${k.interleaved}, ${b(k.x)}, ${b(k.cos)}, ${b(k.sin)}, ${b(k.out)});` };
  },
  pad(k, ctx) {
    const { b, s } = access(ctx);
    return { geometry: `padGeometry(${s(k.x)}, ${s(k.out)}, [${k.before.join(', ')}])`, call: (g) => `pad(${g}, ${num(k.value)}, ${b(k.x)}, ${b(k.out)});` };
  },
  cumsum(k, ctx) {
    const { b, s } = access(ctx);
    const isInt = ctx.plan.buffers[k.x].dtype === 'i32';
    return { geometry: `axisGeometry(${s(k.x)}, ${k.axis})`, call: (g) => `cumsum(${g}, ${k.exclusive}, ${k.reverse}, ${isInt}, ${b(k.x)}, ${b(k.out)});` };
  },
  topk(k, ctx) {
    const { b, s } = access(ctx);
    const lenX = ctx.dim(ctx.plan.buffers[k.x].shape[k.axis]);
    return { geometry: `axisGeometry(${s(k.out)}, ${k.axis})`, call: (g) => `topk(${g}, ${lenX}, ${k.largest}, ${b(k.x)}, ${b(k.out)}, ${b(k.indices)});` };
  },
  conv1d(k, ctx) {
    const { b, s } = access(ctx);
    const attrs = `[${k.stride}, ${k.padding}, ${k.dilation}, ${k.groups}]`;
    return { geometry: `convGeometry(${s(k.x)}, ${s(k.w)}, ${s(k.out)})`, call: (g) => `conv1d(${g}, ${attrs}, ${b(k.x)}, ${b(k.w)}, ${optional(ctx, k.bias, b)}, ${b(k.out)});` };
  },
  transpose(k, ctx) {
    const { b, s } = access(ctx);
    return { geometry: `transposeGeometry(${s(k.x)}, [${k.perm.join(', ')}])`, call: (g) => `transpose(${g}, ${b(k.x)}, ${b(k.out)});` };
  },
  slice(k, ctx) {
    const { b, s } = access(ctx);
    return {
      geometry: `axisGeometry(${s(k.x)}, ${k.axis})`,
      call: (g) => `slice(${g}, ${ctx.dim(k.start)}, ${ctx.dim(ctx.plan.buffers[k.out].shape[k.axis])}, ${b(k.x)}, ${b(k.out)});`,
    };
  },
  dynamic_slice(k, ctx) {
    const { b, s } = access(ctx);
    return {
      geometry: `axisGeometry(${s(k.x)}, ${k.axis})`,
      call: (g) => `dynamicSlice(${g}, ${b(k.start)}, ${ctx.dim(ctx.plan.buffers[k.out].shape[k.axis])}, ${b(k.x)}, ${b(k.out)});`,
    };
  },
  gather(k, ctx) {
    const { b, s } = access(ctx);
    return { geometry: `axisGeometry(${s(k.table)}, ${k.axis})`, call: (g) => `gather(${g}, ${b(k.table)}, ${b(k.indices)}, ${b(k.out)});` };
  },
  iota(k, ctx) {
    const { b, s } = access(ctx);
    return { geometry: `axisGeometry(${s(k.out)}, ${k.axis})`, call: (g) => `iota(${g}, ${b(k.out)});` };
  },
};

/** The code of one kernel, by its kind's entry (the cast pairs a kernel with its own kind's rule). */
export function kernelCode(k: Kernel, ctx: KernelContext): KernelCode {
  return (JS_KERNELS[k.kind] as KernelRule<KernelKind>)(k, ctx);
}
