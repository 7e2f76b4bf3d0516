// A backend added from outside the packages, as a third party would (docs/ARCHITECTURE.md, "How to
// add a backend"): it runs the kernel plan's `elementwise` and `row` kernels in plain JS (compileExpr
// and evaluateRows of @smelt/ir), declares exactly those two kinds, registers by name and is then
// used like any backend. It runs a graph of elementwise and row ops (every row op is one `row`
// kernel) against the interpreter, and refuses a graph that needs a matmul before running anything.

import { describe, expect, it } from 'vitest';
import { type Graph, GraphBuilder, type Tensor, Var, bindShape, compileExpr, evaluateRows, input, interpret, layerNorm, numel, resolveShape, tensor } from '@smelt/ir';
import { type Kernel, type KernelPlan, baseBuffer, compileGraph } from '@smelt/compiler';
import { type Backend, type TensorInputs, capabilitiesOf, getBackend, registerBackend, requireCapabilities } from '@smelt/backends';

type Run = (k: Kernel, buf: (id: number) => Float32Array, shape: (id: number) => number[]) => void;

/** Element k of an operand of `n` elements read against `total` (a scalar, or one value per row element). */
const at = (n: number, total: number, k: number) => (n === total ? k : n === 1 ? 0 : k % n);

const KERNELS: { readonly elementwise: Run; readonly row: Run } = {
  elementwise(k, buf) {
    if (k.kind !== 'elementwise') return;
    const out = buf(k.out);
    const f = compileExpr(k.expr, k.inputs.map(() => 'f32'));
    const ins = k.inputs.map(buf);
    for (let i = 0; i < out.length; i++) out[i] = f(ins.map((x) => x[at(x.length, out.length, i)]));
  },
  row(k, buf, shape) {
    if (k.kind !== 'row') return;
    const out = buf(k.out);
    const len = shape(k.out).at(-1)!;
    const ins = k.inputs.map(buf);
    const value = k.value === undefined ? undefined : buf(k.value);
    evaluateRows(k.program, out.length / len, len, (r, i, j) => ins[i][at(ins[i].length, out.length, r * len + j)], (r, j, y, v) => {
      out[r * len + j] = y;
      if (value) value[r * len + j] = v;
    });
  },
};
const CAPABILITIES = capabilitiesOf(KERNELS, { dtypes: ['f32'], symbolicDims: true, standalone: false });

function run(plan: KernelPlan, weights: TensorInputs, inputs: TensorInputs): Map<string, Tensor> {
  const env = new Map<string, number>();
  for (const i of plan.inputs) bindShape(i.name, plan.buffers[i.buffer].shape, inputs.get(i.name)!.shape, env);
  const data = new Map<number, Float32Array>();
  const shape = (id: number) => resolveShape(plan.buffers[id].shape, env);
  const buf = (id: number): Float32Array => {
    const base = baseBuffer(plan.buffers, id);
    const s = plan.buffers[base].storage;
    const known = s.kind === 'input' ? inputs.get(s.name) : s.kind === 'weight' ? weights.get(s.name) : s.kind === 'constant' ? s.value : undefined;
    if (known) return known.data as Float32Array;
    if (!data.has(base)) data.set(base, new Float32Array(numel(shape(base))));
    return data.get(base)!;
  };
  for (const k of [...plan.prologue, ...plan.kernels]) (KERNELS[k.kind as keyof typeof KERNELS])(k, buf, shape);
  return new Map(plan.outputs.map((o) => [o.name, tensor('f32', shape(o.buffer), Float32Array.from(buf(o.buffer)))]));
}

const planRows: Backend = {
  name: 'plan-rows',
  description: 'elementwise and row kernels of the kernel plan in plain JS (a test of the backend interface)',
  capabilities: CAPABILITIES,
  unavailableReason: async () => undefined,
  async compile(graph: Graph, weights: TensorInputs) {
    const { plan } = compileGraph(graph);
    requireCapabilities('plan-rows', CAPABILITIES, plan);
    return { run: async (inputs) => run(plan, weights, inputs as TensorInputs), dispose() {} };
  },
};

function model(withMatmul: boolean): Graph {
  const b = new GraphBuilder('m');
  const x = input(b, 'x', 'f32', ['n', 8]);
  const r = input(b, 'r', 'f32', ['n', 8]);
  const [w, c] = ['w', 'c'].map((n) => new Var(b, b.param(n, 'f32', [8])));
  const h = layerNorm(x.mul(2).add(1).add(r), w, c, 1e-5); // add_layer_norm after fusion
  const y = (withMatmul ? h.matmul(h.mT()).matmul(h) : h).softmax(-1).mul(h.sigmoid());
  b.output('y', y.logSoftmax(-1).value);
  return b.graph;
}

describe('a backend registered from outside the packages', () => {
  registerBackend(planRows);
  const fill = (shape: number[], f: (i: number) => number) => tensor('f32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => f(i)));
  const weights = new Map([['w', fill([8], (i) => 1 + i / 10)], ['c', fill([8], (i) => i / 20 - 0.2)]]);

  it('runs row and elementwise kernels like the interpreter', async () => {
    const g = model(false);
    const inputs = new Map([['x', fill([3, 8], (i) => Math.sin(i))], ['r', fill([3, 8], (i) => Math.cos(i * 3))]]);
    const got = await (await getBackend('plan-rows').compile(g, weights)).run(inputs);
    const want = interpret(g, inputs, weights).get('y')!;
    (want.data as Float32Array).forEach((v, i) => expect(got.get('y')!.data[i]).toBeCloseTo(v, 5));
  });

  it('refuses a graph needing a kernel kind it has no code for, naming it', async () => {
    await expect(getBackend('plan-rows').compile(model(true), weights)).rejects.toThrow('backend "plan-rows" has no matmul kernel (needed by matmul)');
  });
});
